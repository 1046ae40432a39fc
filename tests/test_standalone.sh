#!/bin/sh
# The repository stands alone: no tracked file (code, docs, tests, program
# output) cites a tracker number ("issue 7", "issue 3, item 4"), a design page
# or style guide kept outside the repository (DESIGN.md, "DESIGN section 5",
# STYLE.md), a path outside the checkout (../shared/...), or the circumstances
# of its writing ("the brief", "the issue's table", "this session", notes
# kept elsewhere: "the reference notes", "as in the notes"). Cite the
# repository's own files and headings instead (docs/backends.md, "Discovery").
# usage: test_standalone.sh SOURCE_DIR
# Lists every offending line as FILE:LINE: TEXT; fails when there is one.
set -u
root=$1
cd "$root" || exit 1
pattern='\b[Ii]ssues? #?[0-9]+|\bDESIGN(\.md| section)|\bSTYLE\.md|\.\./shared\b|\bthe brief\b|\bthe issue'"'"'s\b|\bthe (reference )?lecture notes\b|\bthe reference notes\b|\b(in )?the notes'"'"'?( |$)|\bby the lead\b|\b([Tt]his|the) session'"'"'?s?\b'
# the files git tracks (a checkout) or, from a source tree without git, every
# file outside build directories
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
    files=$(git ls-files)
else
    files=$(find . -type f ! -path './.git/*' ! -path './build*' | sed 's|^\./||')
fi
hits=$(printf '%s\n' "$files" | grep -v '^tests/test_standalone\.sh$' | tr '\n' '\0' |
       xargs -0 grep -n -I -E -- "$pattern" 2> /dev/null)
if [ -n "$hits" ]; then
    printf '%s\n' "$hits"
    echo "FAIL: $(printf '%s\n' "$hits" | wc -l) lines cite material outside the repository"
    exit 1
fi
echo "ok: $(printf '%s\n' "$files" | wc -l) files, none cites material outside the repository"
