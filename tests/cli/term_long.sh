# `make long-test`: SIGTERM at random moments of short recordings, from
# before the command line is parsed to after the program returned, while the
# trace is being finished. Unlike kill -9 (kill.sh), SIGTERM can always be
# handled: every trace left must be finished and sound, holding either the
# whole run or an interrupted one, and tape must end by the signal (143) or
# with the program's own code (0) when the signal came after its end.
# TERMS (default 200) sets how many.
. "$(dirname "$0")/lib.sh"
TERMS=${TERMS:-200}
RANDOM=${TERM_SEED:-20261206}

# About 20 ms of recording on an idle machine (100+ on a busy one): the
# delays below (up to 250 ms) land before, during and after it.
echo 'for i in 0..20000 { clock.now(); } print("done");' > short.tape
for k in $(seq 1 "$TERMS"); do
  delay_us=$(((RANDOM * 32768 + RANDOM) % 250000))
  rm -f t.bin
  "$TAPE" run short.tape --out t.bin > /dev/null 2> term.err &
  pid=$!
  sleep "$(printf '0.%06d' "$delay_us")"
  kill -TERM $pid 2> /dev/null
  wait $pid
  CODE=$?
  LAST="SIGTERM after ${delay_us} us"; ERR=$(cat term.err); OUT=""
  case $CODE in
    0 | 143) ;;
    *) fail "tape ended with neither 0 nor 143" ;;
  esac
  # A signal before main runs ends tape before it made the trace.
  [ -e t.bin ] || continue
  run tape verify t.bin
  expect_code 0
  expect_out "finalized: yes"
  [ "$FAILURES" = 0 ] || break  # the first unfinished trace says enough
done
finish
