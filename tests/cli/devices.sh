# The device rule (specs/trace-format.md §12.1) for every verb that writes a
# file: nothing that is not a regular file is renamed over, unlinked or
# truncated. A character device or FIFO is refused without --force and
# written in place with it; a block device, socket or directory is refused
# either way. The devices are nodes this test makes (never the system's
# /dev/null); without permission to make them, the test says so and skips.
. "$(dirname "$0")/lib.sh"
CRASH=${TAPE_CRASH_PROGRAM:?}
G="$SRC/tests/golden"

if ! mknod probe c 1 3 2> /dev/null; then
  echo "SKIP: mknod is not permitted here (the device rule is tested as root, or with CAP_MKNOD)"
  exit 0
fi
rm -f probe

tape record dice --out t.bin > /dev/null
cat > s.tape <<'T'
print("script");
T
# A regular export to compare what a FIFO receives with.
tape export t.bin --format csv --out t.csv 2> /dev/null

# Each writing verb, with OUT where its output goes. Their outputs are
# traces (checked by verify) except export's (compared with t.csv).
verb_cmd() {  # verb_cmd VERB OUT: sets CMD
  case $1 in
    record) CMD=("$TAPE" record dice --out "$2") ;;
    run) CMD=("$TAPE" run s.tape --out "$2") ;;
    export) CMD=("$TAPE" export t.bin --format csv --out "$2") ;;
    redact) CMD=("$TAPE" redact t.bin --kind random.bits --out "$2") ;;
    recover) CMD=("$TAPE" recover t.bin --out "$2") ;;
    import) CMD=("$TAPE" import "$G/original/dice.tape" --out "$2") ;;
    embedded) CMD=(env TAPE_TEST_MODE=ok "$CRASH" record --out "$2") ;;
  esac
}
VERBS="record run export redact recover import embedded"

node_is() {  # node_is PATH TYPE [MAJOR:MINOR]: PATH is still that node
  local got
  got=$(stat -c '%F %t:%T' "$1" 2> /dev/null)
  [[ "$got" == "$2"* ]] || fail "$1 is now: ${got:-gone} (expected $2)"
  if [ $# -ge 3 ]; then [[ "$got" == *" $3" ]] || fail "$1 is now $got (expected $2 $3)"; fi
}
no_temp_files() {
  local left
  left=$(ls -A | grep -E 'tape-new|tape-partial|recovering|tape-export' || true)
  [ -z "$left" ] || fail "temporary files left behind: $left"
}

# A FIFO's reader, copying what arrives to a file. Opening fd 6 for writing
# returns once the reader has the FIFO open: then the verb cannot miss it.
# fd 6 keeps the reader from seeing the end until fifo_done.
fifo_reader() {  # fifo_reader FIFO OUT
  cat "$1" > "$2" &
  READER=$!
  exec 6> "$1"
}
fifo_done() {
  exec 6>&-
  wait "$READER"
}

mknod chr c 1 3  # a null device of our own
mkfifo fifo
mknod blk b 7 250  # a loop device number; the rule refuses it before opening
mkdir dir
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock 2> /dev/null
has_socket=$([ -S sock ] && echo yes || echo no)

for verb in $VERBS; do
  # A character device: refused without --force, written in place with it.
  verb_cmd "$verb" chr
  run "${CMD[@]}"
  LAST="$verb --out chr"
  expect_code 2
  expect_err "refusing to write to chr: it is a character device, not a regular file; use --force"
  node_is chr "character special file" 1:3
  run "${CMD[@]}" --force
  LAST="$verb --out chr --force"
  expect_code 0
  node_is chr "character special file" 1:3
  no_temp_files

  # A FIFO: refused without --force; with it the reader gets the whole output.
  verb_cmd "$verb" fifo
  run timeout 20 "${CMD[@]}"
  LAST="$verb --out fifo"
  expect_code 2
  expect_err "it is a FIFO, not a regular file"
  fifo_reader fifo got
  run timeout 20 "${CMD[@]}" --force
  LAST="$verb --out fifo --force (with a reader)"
  fifo_done
  expect_code 0
  node_is fifo "fifo"
  no_temp_files
  if [ "$verb" = export ]; then
    expect_same got t.csv
  else
    run tape verify got
    LAST="verify what $verb wrote into a FIFO"
    expect_code 0
    expect_out "finalized: yes"
  fi
  # Nobody reading: an error at once, not a hang.
  verb_cmd "$verb" fifo
  run timeout 20 "${CMD[@]}" --force
  LAST="$verb --out fifo --force (no reader)"
  expect_code 81
  expect_err "no process has it open for reading"
  node_is fifo "fifo"

  # A block device, a socket, a directory: refused, --force or not.
  verb_cmd "$verb" blk
  run "${CMD[@]}" --force
  LAST="$verb --out blk --force"
  expect_code 2
  expect_err "refusing to write to blk: it is a block device, not a regular file"
  expect_err "--force does not change this"
  node_is blk "block special file" 7:fa
  if [ "$has_socket" = yes ]; then
    verb_cmd "$verb" sock
    run "${CMD[@]}" --force
    LAST="$verb --out sock --force"
    expect_code 2
    expect_err "it is a socket"
    node_is sock "socket"
  fi
  verb_cmd "$verb" dir
  run "${CMD[@]}" --force
  LAST="$verb --out dir --force"
  expect_code 2
  expect_err "dir is a directory"
  [ -d dir ] && [ -z "$(ls -A dir)" ] || fail "$verb changed the directory"
done

# A symbolic link to a device: the device is written, the link stays.
ln -s chr link
run tape export t.bin --format csv --out link --force
expect_code 0
[ -L link ] || fail "the link was replaced"
node_is chr "character special file" 1:3

# bench reads its trace back: a device is refused, --force or not (it has no
# --force), and left alone.
run tape bench --events 10 --out chr
expect_code 2
expect_err "refusing to write to chr: it is a character device, not a regular file; bench reads its trace back"
node_is chr "character special file" 1:3
run tape bench --events 10 --out blk
expect_code 2
node_is blk "block special file" 7:fa

# hunt --keep: a device where the directory should be is refused; a device
# with the name of a kept trace is not replaced (the trace takes the next name).
run tape hunt dice --runs 1 --keep chr
expect_code 81
expect_err "chr"
node_is chr "character special file" 1:3
mkdir keep
mknod keep/dice-run1.bin c 1 3
run tape hunt dice --runs 1 --until exit==0 --keep keep
expect_code 0
expect_out "kept keep/dice-run1-2.bin"
node_is keep/dice-run1.bin "character special file" 1:3
run tape verify keep/dice-run1-2.bin
expect_code 0

finish
