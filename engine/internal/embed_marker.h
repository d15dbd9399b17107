// The bytes that mark an executable as a program linking tape::Main
// (engine/src/embed.cc keeps them in every such program), so that
// `tape record ./myapp` can tell it from any other executable and run it
// with its own `record` command (tools/embedded_program.h).

#ifndef TAPE_ENGINE_INTERNAL_EMBED_MARKER_H_
#define TAPE_ENGINE_INTERNAL_EMBED_MARKER_H_

namespace tape::engine {

// Changing this text makes programs built before the change unrecognised.
inline constexpr char kEmbedMarker[] = "tape::Main: this program records and replays itself (v1)";

}  // namespace tape::engine

#endif  // TAPE_ENGINE_INTERNAL_EMBED_MARKER_H_
