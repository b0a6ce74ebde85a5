#!/bin/sh
# Two native builds of the CLI raced on S16 (docs/BENCHMARKS.md): `mixroom bench-s16` of each in
# turn, REPS pairs, then the median of the per-pair time ratios (B/A) and the ratio of the fastest
# runs. On a noisy machine one run's time swings by a third; the two of a pair share their minute.
#
# Usage: bench/s16-native-ab.sh REPS SECONDS CLI_A CLI_B
set -eu
reps=$1 seconds=$2 a=$3 b=$4
render_s() { "$1" bench-s16 --seconds "$seconds" | sed 's/.*"render_s": \([0-9.e-]*\).*/\1/'; }
pairs=$(i=0; while [ "$i" -lt "$reps" ]; do echo "$(render_s "$a") $(render_s "$b")"; i=$((i + 1)); done)
echo "$pairs" | awk '{ print $2 / $1, $1, $2 }' | sort -n | awk '
  { r[NR] = $1; if (NR == 1 || $2 < ma) ma = $2; if (NR == 1 || $3 < mb) mb = $3 }
  END {
    med = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
    printf "A fastest %.3f s, B fastest %.3f s; B/A: median of %d pairs %.3f, fastest runs %.3f\n", ma, mb, NR, med, mb / ma
  }'
