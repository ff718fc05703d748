#!/usr/bin/env bash
# expect_cli.sh RC REGEX COMMAND...: passes when COMMAND exits with status RC, prints a line
# (stdout or stderr) matching the extended regex REGEX, and no sanitizer report.
set -u
want_rc=$1
regex=$2
shift 2
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if grep -qE 'Sanitizer|runtime error:' <<<"$out"; then
  echo "FAIL: a sanitizer reported an error"
  exit 1
fi
if [ "$rc" -ne "$want_rc" ]; then
  echo "FAIL: exit status $rc, expected $want_rc"
  exit 1
fi
if ! grep -qE -- "$regex" <<<"$out"; then
  echo "FAIL: no line matches: $regex"
  exit 1
fi
