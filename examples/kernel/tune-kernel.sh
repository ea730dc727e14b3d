#!/usr/bin/env bash
# tune-kernel.sh: tune `make -jN` for a real Linux kernel build on the test
# farm (examples/testfarm), and measure a full sweep of N on the same farm
# in the same run, so jtune's pick can be checked against the real curve.
#
#   sudo examples/kernel/tune-kernel.sh [options]
#
# Options:
#   --tree DIR         kernel tree to build (default: Debian's linux-source-6.1,
#                      unpacked from /usr/src/linux-source-6.1.tar.xz into --work)
#   --config TARGET    make target that writes .config (default tinyconfig;
#                      "none" keeps the tree's .config)
#   --work DIR         where the tree is unpacked and results go
#                      (default /var/tmp/jtune-kernel)
#   --hosts K          test hosts (default 3)
#   --cpu PCT          CPU cap of each host, % of one CPU (default 30)
#   --master-cpu PCT   CPU cap of the master (default 70)
#   --jobs J           distccd --jobs and /LIMIT per host (default 8)
#   --job-lifetime S   distccd --job-lifetime (default 20)
#   --budget B         jtune's most builds (default 6)
#   --min N, --max N   jtune's range (default 2..64)
#   --sweep "N ..."    the N of the sweep (default "2 4 8 12 16 24 32 48");
#                      "" skips it
#   --target T         what to build (default vmlinux)
#   --runs "R ..."     which runs, in this order (default "online offline
#                      sweep"): online is one build under jtune --online,
#                      offline is jtune's usual search, sweep builds every N
#                      of --sweep plus the picks of the other two
#
# Results: WORK/online.json and WORK/jtune.json (jtune's reports),
# WORK/sweep.tsv (N, seconds, exit code, distcc failures, distcc ERROR
# lines) and WORK/summary.txt.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tree="" config=tinyconfig work=/var/tmp/jtune-kernel k=3 cpu=30 mcpu=70 jobs=8 lifetime=20
budget=6 min=2 max=64 sweep="2 4 8 12 16 24 32 48" target=vmlinux runs="online offline sweep"
while (($#)); do
  case $1 in
    --tree) tree=$2 ;;
    --config) config=$2 ;;
    --work) work=$2 ;;
    --hosts) k=$2 ;;
    --cpu) cpu=$2 ;;
    --master-cpu) mcpu=$2 ;;
    --jobs) jobs=$2 ;;
    --job-lifetime) lifetime=$2 ;;
    --budget) budget=$2 ;;
    --min) min=$2 ;;
    --max) max=$2 ;;
    --sweep) sweep=$2 ;;
    --target) target=$2 ;;
    --runs) runs=$2 ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
  shift 2
done
log() { echo "tune-kernel: $(date +%T) $*" >&2; }

mkdir -p "$work"
if [[ -z $tree ]]; then
  src=/usr/src/linux-source-6.1.tar.xz
  [[ -f $src ]] || { echo "tune-kernel: $src is missing: apt-get install linux-source-6.1 (or pass --tree DIR)" >&2; exit 1; }
  tree=$work/linux-source-6.1
  if [[ ! -f $tree/Makefile ]]; then
    log "unpacking $src"
    tar -C "$work" -xf "$src"
  fi
fi
[[ -f $tree/Makefile ]] || { echo "tune-kernel: $tree is not a kernel tree" >&2; exit 1; }
for tool in flex bison bc gcc make distcc; do
  command -v $tool >/dev/null || { echo "tune-kernel: $tool is missing (apt-get install flex bison bc gcc make distcc libelf-dev)" >&2; exit 1; }
done

log "building jtune"
(cd "$repo" && go build -o "$work/jtune" ./cmd/jtune)
farm=(bash "$repo/examples/testfarm/testfarm.sh")
name=kern$$
name=${name:0:9}
trap '"${farm[@]}" down --name "$name" || true' EXIT
hosts=$("${farm[@]}" up "$k" --name "$name" --jobs "$jobs" --job-lifetime "$lifetime" --cpu "$cpu" --master-cpu "$mcpu")
log "farm: $hosts"
incap() { "${farm[@]}" run --name "$name" -- "$@"; }

cd "$tree"
# No -s: kbuild's "  CC  kernel/fork.o" lines are what jtune follows to stop
# a build early once it falls behind the best one.
mk=(make CC="distcc gcc" HOSTCC=gcc)
if [[ $config != none ]]; then
  log "make $config"
  make -s "$config"
fi
export DISTCC_HOSTS=$hosts
# One build first, not measured: host tools (fixdep, kconfig) survive make
# clean, and the page cache is warm for every measured build alike.
log "warm-up build at -j$jobs"
incap "${mk[@]}" -j"$jobs" "$target" >/dev/null 2>"$work/warmup.err" || { tail "$work/warmup.err" >&2; exit 1; }

has() { [[ " $runs " == *" $1 "* ]]; }
online_secs=0 tune_secs=0 sweep_secs=0
rm -f "$work/online.json" "$work/jtune.json" "$work/sweep.tsv"

if has online; then
  # One build, as a user would run it anyway: no -j, jtune is make's
  # jobserver and moves N while the build runs.
  make -s clean
  start=$(date +%s)
  log "jtune --online"
  cmd=("$work/jtune" --online --hosts "$hosts" --min "$min" --max "$max" --load 0 --max-temp 0
    --state "$work/online-state.json" --json -- "${mk[@]}" "$target")
  echo "${cmd[*]}" >"$work/online.cmd"
  incap "${cmd[@]}" >"$work/online.json" 2>"$work/online.err" || { tail -20 "$work/online.err" >&2; exit 1; }
  online_secs=$(($(date +%s) - start))
fi

if has offline; then
  start=$(date +%s)
  log "jtune: --budget $budget --min $min --max $max"
  cmd=("$work/jtune" --hosts "$hosts" --prepare "make -s clean" --budget "$budget" --min "$min" --max "$max"
    --load 0 --max-temp 0 --state "$work/jtune-state.json" --json -- "${mk[@]}" "$target")
  echo "${cmd[*]}" >"$work/jtune.cmd"
  incap "${cmd[@]}" >"$work/jtune.json" 2>"$work/jtune.err" || { tail -20 "$work/jtune.err" >&2; exit 1; }
  tune_secs=$(($(date +%s) - start))
fi

# The sweep builds every N the same way jtune does: make clean untimed,
# then one timed build, each from a fresh DISTCC_DIR. The picks of the
# runs above join it, so each is measured like every other N.
picks=$(python3 - "$work" <<'PY'
import json, os, sys
for name in ("online.json", "jtune.json"):
    p = os.path.join(sys.argv[1], name)
    if os.path.exists(p) and json.load(open(p)).get("recommended"):
        print(json.load(open(p))["recommended"]["jobs"])
PY
)
if has sweep; then
  : >"$work/sweep.tsv"
  start=$(date +%s)
  for n in $(printf '%s\n' $sweep $picks | sort -nu); do
    make -s clean
    dd=$(mktemp -d)
    t0=$(date +%s.%N)
    rc=0
    DISTCC_DIR=$dd incap "${mk[@]}" -j"$n" "$target" >/dev/null 2>"$work/sweep-$n.err" || rc=$?
    t1=$(date +%s.%N)
    rm -rf "$dd"
    fails=$(grep -c 'failed to distribute' "$work/sweep-$n.err" || true)
    errs=$(grep -c '^distcc\[[0-9]*\] .*ERROR' "$work/sweep-$n.err" || true)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$secs" "$rc" "$fails" "$errs" | tee -a "$work/sweep.tsv" >&2
  done
  sweep_secs=$(($(date +%s) - start))
fi

python3 - "$work" "$online_secs" "$tune_secs" "$sweep_secs" <<'PY' | tee "$work/summary.txt"
import json, os, sys
work = sys.argv[1]
online_secs, tune_secs, sweep_secs = (int(a) for a in sys.argv[2:5])
def load(name):
    p = os.path.join(work, name)
    return json.load(open(p)) if os.path.exists(p) else None
rows = [l.split("\t") for l in open(work + "/sweep.tsv").read().split("\n") if l] if os.path.exists(work + "/sweep.tsv") else []
sweep = {int(n): float(s) for n, s, rc, f, e in rows if rc == "0"}
best = min(sweep.items(), key=lambda kv: kv[1]) if sweep else None
def against_sweep(n):
    if not best or n not in sweep:
        return ""
    return "; in the sweep -j%d took %.1f s, %.1f%% above its best" % (n, sweep[n], 100 * (sweep[n] / best[1] - 1))
on = load("online.json")
if on:
    o = on["online"]
    print("jtune --online: one build, %s (%s), %.1f s, %d windows, %.0f%% of its %d compile jobs measured in fair windows" % (
        "exit %d" % o["exit_code"], o["jobserver"], o["build_seconds"], len(o["windows"]), 100 * o["measured_share"], o["jobs_completed"]))
    for w in o["windows"]:
        print("  -j%-3d from %6.1f s for %5.1f s  %4d jobs  %6.2f jobs/s  failures %d  %s" % (
            w["jobs"], w["start_seconds"], w["seconds"], w["jobs_completed"], w["jobs_per_second"], w["distcc_failures"],
            "fair" if w["fair"] else w["cause"]))
    rec = on["recommended"]
    print("jtune --online: %s, %.1f min in all%s" % (
        "-j%d (%s)" % (rec["jobs"], rec["reason"]) if rec else "no recommendation", online_secs / 60,
        against_sweep(rec["jobs"]) if rec else ""))
r = load("jtune.json")
if r:
    print("jtune builds (in order):")
    for t in r["trials"]:
        print("  -j%-3d %6.1f s  %-10s failures %d  errors %s" % (t["jobs"], t["wall_seconds"], t["status"], t["distcc_failures"], t["distcc_errors"] or {}))
    rec = r["recommended"]
    print("jtune: %s, %d builds, %.1f min in all (make clean included)%s" % (
        "-j%d at %.1f s" % (rec["jobs"], rec["expected_seconds"]) if rec else "no recommendation", len(r["trials"]), tune_secs / 60,
        against_sweep(rec["jobs"]) if rec else ""))
if rows:
    print("sweep:")
    for n, s, rc, f, e in rows:
        print("  -j%-3s %6s s  exit %s  failures %s  errors %s" % (n, s, rc, f, e))
    print("sweep: best -j%d at %.1f s, %d builds, %.1f min in all" % (best[0], best[1], len(rows), sweep_secs / 60))
PY
