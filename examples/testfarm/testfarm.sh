#!/usr/bin/env bash
# testfarm.sh: a distcc farm of K test hosts on one machine, for trying
# jtune (and distcc) without a second computer.
#
#   testfarm.sh up K [options]     create the farm, print its DISTCC_HOSTS
#   testfarm.sh down [--name N]    remove everything the farm made
#   testfarm.sh status [--name N]  hosts, their distccd and compiles served
#   testfarm.sh kill-host I [--name N]   stop host I's distccd (a dead host)
#   testfarm.sh run [--name N] -- CMD... run CMD in the master's CPU cgroup
#
# Each host is a network namespace joined to the root namespace by a veth
# pair on a /30 subnet 10.213.X.0/30 that the farm picks among subnets no
# interface uses yet: the root side is 10.213.X.1, the host 10.213.X.2.
# distccd in the namespace listens on the host address only and allows
# only the root side, so nothing outside this machine can reach it, and
# the farm never touches an address it did not create.
#
# Options of up:
#   --name N          farm name, at most 9 characters (default jtf); it
#                     prefixes every namespace, veth and cgroup, so farms
#                     with different names can run at once
#   --jobs J          distccd --jobs per host (default 4)
#   --limit L         /LIMIT in DISTCC_HOSTS (default: --jobs)
#   --job-lifetime S  distccd --job-lifetime (default: none)
#   --cpu PCT         cap each host at PCT % of one CPU (cgroup v2 cpu.max,
#                     else v1 cpu.cfs_quota_us)
#   --master-cpu PCT  make a master cgroup capped at PCT %; put a command
#                     in it with `testfarm.sh run -- CMD`
#   --rate RATE       tc tbf bandwidth limit each way, e.g. 100mbit
#   --delay D         tc netem delay each way, e.g. 2ms (skipped with a note
#                     when the kernel has no netem)
#   --pump            print hosts with ,cpp,lzo (pump mode)
#   --lzo             print hosts with ,lzo
#   --state DIR       state directory (default /run/jtune-testfarm/NAME)
#
# Everything the farm makes is written to STATE/made before it is made,
# so `down` removes it even after a run that failed half way.
set -euo pipefail

die() { echo "testfarm: $*" >&2; exit 1; }
note() { echo "testfarm: $*" >&2; }

name=jtf
state=""
parse_common() {
  while (($#)); do
    case $1 in
      --name) name=$2; shift 2 ;;
      --state) state=$2; shift 2 ;;
      --) shift; rest=("$@"); return ;;
      *) rest+=("$1"); shift ;;
    esac
  done
}

# alive PID: the process exists and is not a zombie. distccd's processes
# are reparented to PID 1 when the farm's shell exits; a PID 1 that does
# not reap leaves zombies, which kill -0 still finds.
alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $st && $st != Z ]]
}

state_dir() { echo "${state:-/run/jtune-testfarm/$name}"; }

need_root() {
  [[ $(id -u) == 0 ]] || die "must run as root (network namespaces, veth, cgroups)"
  command -v ip >/dev/null || die "ip (iproute2) is not installed"
  command -v distccd >/dev/null || die "distccd is not installed (apt-get install distcc)"
}

# cgroup_root prints where CPU cgroups are made: cgroup v2 with the cpu
# controller, else the v1 cpu hierarchy; nothing when neither works.
cgroup_root() {
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
    echo "v2 /sys/fs/cgroup"
  elif [[ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]]; then
    echo "v1 /sys/fs/cgroup/cpu"
  fi
}

# make_cgroup DIR PCT creates a cgroup capped at PCT % of one CPU.
make_cgroup() {
  local kind=$1 dir=$2 pct=$3 period=100000
  local quota=$((pct * period / 100))
  echo "cgroup $dir" >>"$made"
  mkdir -p "$dir"
  if [[ $kind == v2 ]]; then
    # The parent must delegate the cpu controller to its children.
    local p=$dir
    while [[ $p != /sys/fs/cgroup ]]; do
      p=$(dirname "$p")
      echo +cpu >"$p/cgroup.subtree_control" 2>/dev/null || true
    done
    echo "$quota $period" >"$dir/cpu.max"
  else
    echo "$period" >"$dir/cpu.cfs_period_us"
    echo "$quota" >"$dir/cpu.cfs_quota_us"
  fi
}

# free_subnets N prints N third octets X whose 10.213.X.0/30 no interface
# on this machine uses, so the farm never takes over someone's address.
free_subnets() {
  local want=$1 used x n=0
  used=$(ip -o -4 addr show | grep -o '10\.213\.[0-9]*\.' | cut -d. -f3 | sort -u || true)
  # Subnets that other farms recorded but have not brought up yet.
  used+=$'\n'$(cat /run/jtune-testfarm/*/subnets 2>/dev/null || true)
  for x in $(seq 1 254); do
    grep -qx "$x" <<<"$used" && continue
    echo "$x"
    n=$((n + 1))
    ((n == want)) && return 0
  done
  die "no free 10.213.X.0/30 subnet left"
}

cmd_up() {
  local k=${rest[0]:-}
  [[ $k =~ ^[0-9]+$ && $k -ge 1 ]] || die "usage: testfarm.sh up K [options] (K >= 1 hosts)"
  rest=("${rest[@]:1}")
  local jobs=4 limit="" lifetime="" cpu="" mcpu="" rate="" delay="" opts=""
  while ((${#rest[@]})); do
    local o=${rest[0]} v=${rest[1]:-}
    case $o in
      --jobs) jobs=$v ;;
      --limit) limit=$v ;;
      --job-lifetime) lifetime=$v ;;
      --cpu) cpu=$v ;;
      --master-cpu) mcpu=$v ;;
      --rate) rate=$v ;;
      --delay) delay=$v ;;
      --pump) opts=",cpp,lzo"; rest=("${rest[@]:1}"); continue ;;
      --lzo) opts=",lzo"; rest=("${rest[@]:1}"); continue ;;
      *) die "unknown option $o" ;;
    esac
    rest=("${rest[@]:2}")
  done
  [[ ${#name} -le 9 && $name =~ ^[a-z][a-z0-9]*$ ]] || die "--name must be 1-9 lower-case letters and digits, starting with a letter (it prefixes interface names)"
  need_root
  limit=${limit:-$jobs}
  local dir; dir=$(state_dir)
  [[ -e $dir/made ]] && die "farm $name is already up ($dir); run: testfarm.sh down --name $name"
  mkdir -p "$dir/log" /run/jtune-testfarm
  made=$dir/made
  : >"$made"
  # A failed up leaves nothing behind, whether a command failed (set -e)
  # or die gave up.
  up_ok=0
  trap '[[ $up_ok == 1 ]] || { note "up failed; tearing down"; cmd_down >/dev/null 2>&1 || true; }' EXIT

  local cg="" cgkind="" cgbase=""
  if [[ -n $cpu || -n $mcpu ]]; then
    read -r cgkind cgbase <<<"$(cgroup_root)" || true
    [[ -n $cgkind ]] || die "no cgroup CPU controller (v2 cpu.max or v1 cpu.cfs_quota_us) for --cpu/--master-cpu"
    cg=$cgbase/jtune-testfarm-$name
    echo "cgroup $cg" >>"$made"
    mkdir -p "$cg"
    [[ $cgkind == v2 ]] && echo +cpu >"$cgbase/cgroup.subtree_control" 2>/dev/null || true
    [[ $cgkind == v2 ]] && echo +cpu >"$cg/cgroup.subtree_control" 2>/dev/null || true
    echo "$cgkind $cg" >"$dir/cgroup"
  fi
  if [[ -n $mcpu ]]; then
    make_cgroup "$cgkind" "$cg/master" "$mcpu"
  fi

  local netem=yes
  if [[ -n $delay ]] && ! tc qdisc add dev lo root netem delay 0ms 2>/dev/null; then
    netem=no
    note "the kernel has no netem (sch_netem): --delay $delay is skipped"
    delay=""
  elif [[ -n $delay ]]; then
    tc qdisc del dev lo root 2>/dev/null || true
  fi

  local hosts=() subnets
  # flock: two farms coming up at once must not pick the same subnets.
  exec 9>/run/jtune-testfarm/.lock
  flock 9
  mapfile -t subnets < <(free_subnets "$k")
  printf '%s\n' "${subnets[@]}" >"$dir/subnets"
  local i
  for ((i = 1; i <= k; i++)); do
    local x=${subnets[i - 1]} ns=$name-h$i a=${name}h${i}a b=${name}h${i}b
    local root_ip=10.213.$x.1 host_ip=10.213.$x.2
    echo "netns $ns" >>"$made"
    ip netns add "$ns"
    echo "veth $a" >>"$made"
    ip link add "$a" type veth peer name "$b"
    ip link set "$b" netns "$ns"
    ip addr add "$root_ip/30" dev "$a"
    ip link set "$a" up
    ip -n "$ns" addr add "$host_ip/30" dev "$b"
    ip -n "$ns" link set "$b" up
    ip -n "$ns" link set lo up
    local dev
    for dev in "$a" "ns:$b"; do
      local tcx=(tc)
      if [[ $dev == ns:* ]]; then tcx=(ip netns exec "$ns" tc); dev=${dev#ns:}; fi
      if [[ -n $delay && $netem == yes ]]; then
        "${tcx[@]}" qdisc add dev "$dev" root handle 1: netem delay "$delay"
        [[ -n $rate ]] && "${tcx[@]}" qdisc add dev "$dev" parent 1:1 handle 10: tbf rate "$rate" burst 64kb latency 400ms
      elif [[ -n $rate ]]; then
        "${tcx[@]}" qdisc add dev "$dev" root tbf rate "$rate" burst 64kb latency 400ms
      fi
    done

    local log=$dir/log/h$i.log
    : >"$log"
    chmod 666 "$log" # distccd drops root for nobody before it logs
    local dopts=(--daemon --no-detach --listen "$host_ip" --port 3632 --allow "$root_ip/32"
      --jobs "$jobs" --log-file "$log" --log-level info)
    [[ -n $lifetime ]] && dopts+=(--job-lifetime "$lifetime")
    local hcg=""
    if [[ -n $cpu ]]; then
      hcg=$cg/h$i
      make_cgroup "$cgkind" "$hcg" "$cpu"
    fi
    # ip netns exec remounts /sys in a new mount namespace, so the
    # process joins its cgroup first, through the root's /sys.
    setsid bash -c '[[ -n $1 ]] && echo $$ >"$1/cgroup.procs"; shift; exec "$@"' _ "$hcg" \
      ip netns exec "$ns" distccd "${dopts[@]}" </dev/null >>"$log" 2>&1 &
    echo "pid $!" >>"$made"
    echo "$!" >"$dir/h$i.pid"
    hosts+=("$host_ip/$limit$opts")
  done
  # The root-side addresses exist now: other farms see them as used.
  flock -u 9
  # distccd needs a moment to bind; wait until every host answers.
  for ((i = 1; i <= k; i++)); do
    local ip=10.213.${subnets[i - 1]}.2 tries=0
    until (exec 3<>"/dev/tcp/$ip/3632") 2>/dev/null; do
      tries=$((tries + 1))
      ((tries < 50)) || die "distccd on host $i ($ip) did not come up; see $dir/log/h$i.log"
      alive "$(cat "$dir/h$i.pid")" || die "distccd on host $i exited; see $dir/log/h$i.log"
      sleep 0.1
    done
  done
  up_ok=1
  echo "${hosts[*]}" >"$dir/hosts"
  note "up: $k hosts (distccd --jobs $jobs${cpu:+, ${cpu}% CPU each}${rate:+, $rate}${delay:+, delay $delay}${mcpu:+, master ${mcpu}% CPU}); state in $dir"
  echo "${hosts[*]}"
}

# cmd_down undoes STATE/made in reverse order. Every step tolerates a
# thing that is already gone, so it can be run again after any failure.
cmd_down() {
  local dir; dir=$(state_dir)
  local made=$dir/made
  [[ -f $made ]] || { note "farm $name is not up ($made missing)"; rm -rf "$dir"; return 0; }
  local lines kind what
  mapfile -t lines < <(tac "$made")
  # Processes first: everything in each namespace, then the leaders.
  for line in "${lines[@]}"; do
    read -r kind what <<<"$line"
    if [[ $kind == netns ]]; then
      local p
      for p in $(ip netns pids "$what" 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
    fi
  done
  for line in "${lines[@]}"; do
    read -r kind what <<<"$line"
    [[ $kind == pid ]] && kill -TERM "$what" 2>/dev/null || true
  done
  local t
  for t in $(seq 1 30); do
    local alive=0
    for line in "${lines[@]}"; do
      read -r kind what <<<"$line"
      case $kind in
        netns) [[ -n $(ip netns pids "$what" 2>/dev/null) ]] && alive=1 ;;
      esac
    done
    ((alive)) || break
    sleep 0.1
  done
  for line in "${lines[@]}"; do
    read -r kind what <<<"$line"
    case $kind in
      netns)
        local p
        for p in $(ip netns pids "$what" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        ;;
      pid) kill -KILL "$what" 2>/dev/null || true ;;
    esac
  done
  for line in "${lines[@]}"; do
    read -r kind what <<<"$line"
    case $kind in
      veth) ip link del "$what" 2>/dev/null || true ;;
      netns) ip netns del "$what" 2>/dev/null || true ;;
      cgroup)
        if [[ -d $what ]]; then
          # Commands started by `run` may still be in the master cgroup:
          # they are the user's, so they move to the root cgroup.
          local root=${what%%/jtune-testfarm-*} p
          while read -r p; do
            [[ -n $p ]] && echo "$p" >"$root/cgroup.procs" 2>/dev/null || true
          done <"$what/cgroup.procs"
          rmdir "$what" 2>/dev/null || true
        fi
        ;;
    esac
  done
  local left=""
  for line in "${lines[@]}"; do
    read -r kind what <<<"$line"
    case $kind in
      netns) ip netns list | grep -qw "^$what" && left+=" netns $what" ;;
      veth) ip link show "$what" >/dev/null 2>&1 && left+=" veth $what" ;;
      cgroup) [[ -d $what ]] && left+=" cgroup $what" ;;
      pid) alive "$what" && left+=" pid $what" ;;
    esac
  done
  [[ -z $left ]] || die "down: could not remove:$left (state kept in $dir)"
  rm -rf "$dir"
  note "down: farm $name removed"
}

cmd_status() {
  local dir; dir=$(state_dir)
  [[ -f $dir/made ]] || { echo "farm $name: down"; return 1; }
  echo "farm $name: up, DISTCC_HOSTS=\"$(cat "$dir/hosts" 2>/dev/null)\""
  local f i
  for f in "$dir"/h*.pid; do
    i=$(basename "$f" .pid)
    i=${i#h}
    local pid state=dead served
    pid=$(cat "$f")
    alive "$pid" && state="running (pid $pid)"
    # distccd logs one job summary per compile it ran.
    served=$(grep -c 'COMPILE_OK' "$dir/log/h$i.log" 2>/dev/null || true)
    echo "host $i: distccd $state, ${served:-0} compiles served, log $dir/log/h$i.log"
  done
}

cmd_kill_host() {
  local i=${rest[0]:-}
  local dir; dir=$(state_dir)
  [[ -f $dir/h$i.pid ]] || die "no host $i in farm $name"
  local p
  for p in $(ip netns pids "$name-h$i"); do kill -KILL "$p" 2>/dev/null || true; done
  note "host $i: distccd killed"
}

cmd_run() {
  local dir; dir=$(state_dir)
  ((${#rest[@]})) || die "usage: testfarm.sh run [--name N] -- CMD..."
  if [[ -f $dir/cgroup ]]; then
    local kind cg
    read -r kind cg <"$dir/cgroup"
    [[ -d $cg/master ]] && echo $$ >"$cg/master/cgroup.procs"
  fi
  exec "${rest[@]}"
}

sub=${1:-}
(($#)) && shift
rest=()
parse_common "$@"
case $sub in
  up) cmd_up ;;
  down) need_root; cmd_down ;;
  status) cmd_status ;;
  kill-host) need_root; cmd_kill_host ;;
  run) cmd_run ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
