// Which calls are the program's. A thread is "in tape" while the interposer
// itself runs on it (recording or answering a call) and for the whole life
// of tape's own threads (the trace writer's encoder): calls made in tape pass
// straight to the C library and the kernel, unrecorded.

#ifndef TAPE_PRELOAD_GUARD_H_
#define TAPE_PRELOAD_GUARD_H_

namespace tape::preload {

// initial-exec: one %fs-relative load. The library is loaded at start-up
// (LD_PRELOAD's dependency), so its TLS is in the static block.
inline thread_local bool t_in_tape __attribute__((tls_model("initial-exec"))) = false;

class InTape {
 public:
  InTape() : was_(t_in_tape) { t_in_tape = true; }
  ~InTape() { t_in_tape = was_; }
  InTape(const InTape&) = delete;
  InTape& operator=(const InTape&) = delete;

 private:
  bool was_;
};

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_GUARD_H_
