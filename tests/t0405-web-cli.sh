#!/bin/sh
# t0405-web-cli.sh: vmind-web's command line: each sub-command has its own
# option table (an option of the other one is a usage error naming it, and
# its --help lists only its own).
. "$top_srcdir/tests/lib.sh"

W="$top_srcdir/tests/data/web/serve"

# --- one option table per sub-command ---
exits 2 "serve --seed: usage error" vmind-web serve --root "$W" --seed 5
grep -q -- "--seed is an option of 'vmind-web render', not of 'serve'" "$T/err"
ok $? "the message names the option and its sub-command"
exits 2 "render --listen: usage error" vmind-web render --mind "$T/m" --out "$T/o" --listen=127.0.0.1:0
grep -q -- "--listen is an option of 'vmind-web serve', not of 'render'" "$T/err"
ok $? "--name=value is named too"
exits 2 "an unknown option: usage error" vmind-web serve --root "$W" --no-such-option
grep -q -- "unknown option '--no-such-option'" "$T/err"
ok $? "an unknown option is called unknown"
exits 2 "an option's value is not taken for an option" vmind-web serve --root --seed -q
grep -q "is an option of" "$T/err"
is "$?" 1 "--root's value --seed is a directory name, not render's option"

exits 0 "serve --help" vmind-web serve --help
grep -q -- '--listen' "$T/out" && grep -q -- '--root' "$T/out"
ok $? "serve --help lists serve's options"
grep -q -- '--seed\|--mind\|--clean' "$T/out"
is "$?" 1 "serve --help lists none of render's"
exits 0 "render --help" vmind-web render --help
grep -q -- '--seed' "$T/out" && grep -q -- '--mind' "$T/out"
ok $? "render --help lists render's options"
grep -q -- '--root\|--listen' "$T/out"
is "$?" 1 "render --help lists none of serve's"
exits 0 "vmind-web --help" vmind-web --help
grep -q -- '--seed' "$T/out" && grep -q -- '--listen' "$T/out"
ok $? "vmind-web --help lists both sub-commands' options"

done_testing
