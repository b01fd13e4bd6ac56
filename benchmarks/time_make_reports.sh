#!/usr/bin/env bash
# Paired timings of `make reports` for two checkouts in one session: from scratch (data present,
# reports removed) and again with nothing changed, each repeated N times.
#   benchmarks/time_make_reports.sh BASE_DIR NEW_DIR DATA_DIR [N]
# Both checkouts use the venv given by VENV (default: ./.venv of each); `-o` keeps make from
# reinstalling the package into it (a fresh checkout's pyproject.toml is newer than its stamp).
# Prints tab-separated rows: tree, kind, run, seconds, exit code.
set -u
base=$1 new=$2 data=$3 n=${4:-3}
for i in $(seq "$n"); do
  for tree in "$base" "$new"; do
    venv=${VENV:-$tree/.venv}
    cd "$tree" || exit 1
    rm -rf reports/*/ reports/index.html reports/manifest.json .make
    for kind in scratch nochange; do
      s=$(date +%s.%N)
      PYTHONPATH=$tree/src make -o "$venv/.installed" reports VENV="$venv" DATA="$data" \
        > "/tmp/time-make-reports-$(basename "$tree")-$kind-$i.log" 2>&1
      rc=$?
      e=$(date +%s.%N)
      printf '%s\t%s\t%s\t%s\t%s\n' "$(basename "$tree")" "$kind" "$i" "$(echo "$e - $s" | bc)" "$rc"
    done
  done
done
