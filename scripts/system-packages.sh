#!/usr/bin/env bash
# Install the Debian packages the given make target needs, when they are missing.
# Usage: scripts/system-packages.sh sim|area
# As root, missing packages are installed with apt-get; otherwise one line names them.
set -euo pipefail

need=()
case "${1:-sim}" in
  sim)  command -v iverilog >/dev/null && command -v vvp >/dev/null || need+=(iverilog) ;;
  area) [ -f /usr/share/qflow/tech/osu018/osu018_stdcells.lib ] || need+=(qflow-tech-osu018)
        command -v sta >/dev/null || need+=(opensta) ;;
  *) echo "system-packages.sh: unknown target '${1}'; allowed: sim, area" >&2; exit 2 ;;
esac
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian package(s): ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "installing Debian package(s): ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
