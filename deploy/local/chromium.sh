#!/usr/bin/env bash
# Debian's Chromium for the dashboard's browser test (tests/era_dashboard), installed when
# missing: as root with apt-get, `apt-get install chromium`; otherwise a message naming the
# package, and exit 1. ERA_CHROMIUM names another Chromium binary to use instead.
set -euo pipefail

wanted=${ERA_CHROMIUM:-}
if [[ -n $wanted ]]; then
  [[ -x $wanted ]] && exit 0
  echo "chromium: ERA_CHROMIUM=$wanted is not an executable file" >&2
  exit 1
fi
command -v chromium >/dev/null 2>&1 && exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium: missing; installing Debian's chromium package (the dashboard's browser test)" >&2
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
  command -v chromium >/dev/null 2>&1 && exit 0
  echo "chromium: apt-get installed chromium but no chromium command is on PATH" >&2
  exit 1
fi
{
  echo "chromium: Chromium is missing; the dashboard's browser test needs it."
  echo "install it, e.g.: sudo apt-get install chromium   (Debian/Ubuntu package chromium)"
  echo "or point ERA_CHROMIUM at a Chromium binary. (As root, \`make test\` installs it itself.)"
} >&2
exit 1
