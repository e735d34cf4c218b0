#!/usr/bin/env bash
# Install the Debian packages that the given groups need, when they are missing.
# Usage: scripts/system-packages.sh GROUP...
#   sim       iverilog (iverilog, vvp)
#   area      qflow-tech-osu018 (the OSU018 liberty), opensta (sta)
#   prove     berkeley-abc (berkeley-abc, or any abc on PATH)
#   accuracy  dataset-fashion-mnist (the idx files under /usr/share/datasets/fashion-mnist),
#             python3-torch (PyTorch 1.13, CPU only; .venv sees it through a .pth file),
#             python3-torchvision (0.14: model definitions for the model zoo and networks)
#   power     area + sim
# Every missing package of every group is named in one line.  As root they are installed with
# one apt-get (after apt-get update); otherwise the script stops with exit code 2.
set -euo pipefail

GROUPS_ALLOWED="sim, area, prove, accuracy, power"
LIBERTY=/usr/share/qflow/tech/osu018/osu018_stdcells.lib
FASHION_MNIST=/usr/share/datasets/fashion-mnist
FASHION_MNIST_FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz
                     t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

if [ $# -eq 0 ]; then
  echo "usage: scripts/system-packages.sh GROUP...; groups: $GROUPS_ALLOWED" >&2
  exit 2
fi
for group in "$@"; do
  case "$group" in
    sim|area|prove|accuracy|power) ;;
    *) echo "system-packages.sh: unknown group '$group'; allowed: $GROUPS_ALLOWED" >&2; exit 2 ;;
  esac
done

have() { command -v "$1" >/dev/null 2>&1; }
need=()
add() {                                   # add a package once, keeping the order of the groups
  local p
  for p in "${need[@]}"; do [ "$p" = "$1" ] && return; done
  need+=("$1")
}
check() {
  case "$1" in
    sim)      have iverilog && have vvp || add iverilog ;;
    area)     [ -f "$LIBERTY" ] || add qflow-tech-osu018
              have sta || add opensta ;;
    prove)    have berkeley-abc || have abc || add berkeley-abc ;;
    accuracy) local f
              for f in "${FASHION_MNIST_FILES[@]}"; do
                [ -f "$FASHION_MNIST/$f" ] || { add dataset-fashion-mnist; break; }
              done
              [ -f /usr/lib/python3/dist-packages/torch/__init__.py ] || add python3-torch
              [ -f /usr/lib/python3/dist-packages/torchvision/__init__.py ] || add python3-torchvision ;;
    power)    check area; check sim ;;
  esac
}
check_all() { need=(); local g; for g in "$@"; do check "$g"; done; }

check_all "$@"
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
  exit 2
fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

installed=("${need[@]}")
check_all "$@"
if [ ${#need[@]} -ne 0 ]; then
  echo "still missing after apt-get install ${installed[*]}: ${need[*]} (see the checks in $0)" >&2
  exit 2
fi
