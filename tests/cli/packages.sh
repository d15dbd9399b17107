# The README's lists of what to install say what the build really uses: the
# quick start's packages are the Makefile's PACKAGES, and the embedding
# section names every dependency the installed CMake package looks for.
. "$(dirname "$0")/lib.sh"

words() { tr -s ' \t\\' '\n\n\n' | grep -v '^$' | sort -u; }

# The Makefile's PACKAGES (a make variable continued over lines).
awk '/^PACKAGES :=/ { on = 1; sub(/^PACKAGES :=/, "") } on { print; if ($0 !~ /\\$/) exit }' \
  "$SRC/Makefile" | words > makefile.txt
# The README's block after "The packages (the Makefile's `PACKAGES`):".
awk '/The packages \(the Makefile.s `PACKAGES`\):/ { on = 1; next }
     on && /^    / { print; seen = 1; next }
     on && seen { exit }' "$SRC/README.md" | words > readme.txt
[ -s makefile.txt ] || fail "no PACKAGES in the Makefile"
[ -s readme.txt ] || fail "no package list in the README's quick start"
LAST="compare the README's packages with the Makefile's"
OUT=$(diff makefile.txt readme.txt)
[ -z "$OUT" ] || fail "the README's package list differs from the Makefile's PACKAGES (< Makefile, > README)"

# Every dependency tapeConfig.cmake looks for is named in the README's
# sentence about what find_package(tape) looks for.
sentence=$(tr '\n' ' ' < "$SRC/README.md" | grep -o 'what `find_package(tape)` looks *for: [^.]*\.')
[ -n "$sentence" ] || fail "the README does not say what find_package(tape) looks for"
norm() { tr 'A-Z' 'a-z' | tr -d '-'; }
for dep in $(grep -o 'find_dependency([A-Za-z0-9_]*' "$SRC/cmake/tapeConfig.cmake.in" | cut -d'(' -f2) \
           $(grep -o 'IMPORTED_TARGET lib[a-z0-9]*' "$SRC/cmake/tapeConfig.cmake.in" | sed 's/.* lib//'); do
  [ "$dep" = PkgConfig ] && dep=pkg-config
  LAST="the README names $dep"
  [[ "$(printf '%s' "$sentence" | norm)" == *"$(printf '%s' "$dep" | norm)"* ]] ||
    fail "tapeConfig.cmake looks for $dep, which the README's embedding section does not name"
done
finish
