#!/usr/bin/env bash
# Paired timings of `make reports` for two checkouts in one session, each repeated N times, in
# alternation (base, new, base, new, ...) so that load on a shared machine hits both alike:
#   regen     the synthetic data removed and regenerated, reports removed (from scratch)
#   scratch   data present, reports removed
#   nochange  again, with nothing changed
#   benchmarks/time_make_reports.sh BASE_DIR NEW_DIR [N]
# Both checkouts use the venv given by VENV (default: ./.venv of each); `-o` keeps make from
# reinstalling the package into it (a fresh checkout's pyproject.toml is newer than its stamp).
# Each tree's data/synthetic is its own (or a link to one copy: it is regenerated identically).
# Prints tab-separated rows: tree, kind, run, seconds, exit code.
set -u
base=$1 new=$2 n=${3:-3}
for i in $(seq "$n"); do
  for tree in "$base" "$new"; do
    venv=${VENV:-$tree/.venv}
    cd "$tree" || exit 1
    for kind in regen scratch nochange; do
      if [ "$kind" != nochange ]; then  # nochange follows scratch: nothing changed since
        rm -rf reports/*/ reports/index.html reports/manifest.json \
          reports/.validated-extract.json reports/board_summary.* .make
      fi
      [ "$kind" = regen ] && rm -f data/synthetic/*
      s=$(date +%s.%N)
      PYTHONPATH=$tree/src make -o "$venv/.installed" reports VENV="$venv" \
        > "/tmp/time-make-reports-$(basename "$tree")-$kind-$i.log" 2>&1
      rc=$?
      e=$(date +%s.%N)
      printf '%s\t%s\t%s\t%s\t%s\n' "$(basename "$tree")" "$kind" "$i" "$(echo "$e - $s" | bc)" "$rc"
    done
  done
done
