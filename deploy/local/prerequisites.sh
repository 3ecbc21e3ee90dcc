#!/usr/bin/env bash
# The machine-level prerequisites of `make run` and `make test`, installed when missing.
#   prerequisites.sh python Python's venv module (`make setup`)
#   prerequisites.sh run    the same, plus Java 17 and Maven (the local Kafka broker)
#   prerequisites.sh test   the same, plus Prometheus and promtool, Alertmanager and amtool
#                           (the observability tests), Node.js and npm (the AsyncAPI parser)
#                           and Go (builds the manifest checkers)
# Each missing command maps to a Debian package. As root with apt-get, the packages are
# installed (`apt-get update` first); otherwise the script names them and exits 1. Go is not
# taken from Debian (bookworm's 1.19 is too old for the checkers): it is named, never installed.
# PYTHON (default python3) is the interpreter `make setup` uses.
set -euo pipefail

mode=${1:-run}
python=${PYTHON:-python3}

missing=()    # "command|package" pairs
packages=()

need() {  # need COMMAND PACKAGE: COMMAND is missing from PATH -> install PACKAGE
  if ! command -v "$1" >/dev/null 2>&1; then
    missing+=("$1|$2")
    [[ " ${packages[*]-} " == *" $2 "* ]] || packages+=("$2")
  fi
}

if ! command -v "$python" >/dev/null 2>&1; then
  missing+=("$python|python3")
  packages+=(python3 python3-venv)
elif ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=("$python -m venv|python3-venv")
  packages+=(python3-venv)
fi
if [[ $mode != python ]]; then
  need java openjdk-17-jre-headless
  need mvn maven
fi
if [[ $mode == test ]]; then
  need prometheus prometheus
  need promtool prometheus
  need prometheus-alertmanager prometheus-alertmanager
  need amtool prometheus-alertmanager
  need node nodejs   # the official AsyncAPI parser checks docs/asyncapi.yaml
  need npm npm
fi

if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  # optional: `pip install` builds the parser's compiled helpers with it (and OpenSSL's
  # header, libssl-dev, when there); without it the parser runs their Python versions
  echo "prerequisites: note: no C compiler (gcc): the parser will run without its compiled helpers (slower)" >&2
fi

go_missing=0
if [[ $mode == test ]] && ! command -v "${GO:-go}" >/dev/null 2>&1; then
  go_missing=1
fi

if [[ ${#packages[@]} -gt 0 ]]; then
  names=()
  for pair in "${missing[@]}"; do names+=("${pair%%|*}"); done
  echo "prerequisites: missing: ${names[*]}" >&2
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "prerequisites: installing Debian packages: ${packages[*]}" >&2
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
  else
    {
      echo "prerequisites: these commands are missing:"
      for pair in "${missing[@]}"; do
        printf '  %-26s Debian/Ubuntu package %s\n' "${pair%%|*}" "${pair#*|}"
      done
      echo "install them, e.g.: sudo apt-get install ${packages[*]}"
      echo "(as root, \`make run\` / \`make test\` install them by themselves)"
    } >&2
    exit 1
  fi
fi

if [[ $go_missing -eq 1 ]]; then
  {
    echo "prerequisites: Go is missing: \`make test\` builds kubeconform, kube-score and kustomize"
    echo "with it into var/tools/bin. Install Go 1.26 or newer (https://go.dev/doc/install) and"
    echo "put \`go\` on PATH (or set GO=/path/to/go)."
  } >&2
  exit 1
fi
exit 0
