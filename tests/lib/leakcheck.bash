# shellcheck shell=bash
# Detect mounts, cgroups, processes and network state a test run left
# behind on the host.
#
#   leakcheck_snapshot FILE   record the current state in FILE
#   leakcheck_compare FILE    fail (return 1), listing them on stderr, if
#                             mounts/cgroups/processes/... appeared since FILE
#   leakcheck_leases DIR...   fail (return 1), listing them on stderr, if an
#                             engine run root DIR (--runroot) holds address
#                             leases: for a test's own run root, after its
#                             containers are removed (tests/lib/engine.bash).
#                             Under bats, what it finds is also kept in the
#                             file's temp dir, so the file's leakcheck_compare
#                             reports it too (a teardown's status is lost
#                             when other commands follow it)
#
# Recorded:
#   mount  <mount point>        from /proc/self/mountinfo (field 5, escaped)
#   netns  <mount point>        a network namespace kept by a bind mount (nsfs)
#   netns  /run/netns/<name>    ip netns's names
#   cgroup <dir>                dirs up to 3 levels below each hierarchy root
#                               (/sys/fs/cgroup/*/ on v1 and hybrid hosts,
#                               /sys/fs/cgroup/ on a pure v2 host)
#   state  <path>               entries up to 2 levels below the runtimes'
#                               state roots (/run/husk, /run/husk-engine, runc's
#                               and crun's) and below each dir of
#                               HUSK_LEAKCHECK_DIRS (colon-separated: a test's
#                               own --root, a store's containers/): container
#                               state dirs, lock files
#   fd     <n> <what>           the fds of the shell that took the snapshot (a
#                               bats file's own process): something a test ran
#                               that left an fd open in its caller (pipes and
#                               sockets by kind, not inode)
#   proc   <pid> <pidns> <comm> every process
#   link   <name>               network interfaces (ip -o link), in the
#                               network namespace the caller runs in (a bats
#                               file's own under ctest: tests/lib/in-netns.sh)
#   addr   <link> <addr/prefix> their IPv4 and IPv6 addresses
#   nft table <family> <name>   nftables tables
#   nft map <map> <element>     the elements of husk's maps of published
#                               ports (published, published_any in table ip
#                               husk): a port a container no longer has
#   lease  <file> <line>        an address held in an engine network's lease
#                               file (.net/networks/*/leases below the state roots
#                               and HUSK_LEAKCHECK_DIRS): "ADDRESS OWNER"
#                               lines; "last ADDRESS" is the pool's cursor and
#                               is not recorded
# A new process counts as a leak if it lives in another PID namespace (a
# container process that outlived its container) or is one of the container
# plumbing programs (conmon, shims, containerd, the runtimes).  Other new
# processes are the test's own short-lived helpers and are not reported.
#
# Network state that stays by design, as docker's docker0 does, is not a
# leak: a network's bridge (husk0, husk-NAME) and its addresses, and the
# table ip husk itself (its sets, chains and rules are not recorded). A
# container's veth (husk + 11 hex digits), its published ports and its lease
# are; the kernel removes a veth shortly after the container's namespace is
# let go, which leakcheck_compare's retries wait for.
#
# Tests are assumed to run serially: anything new is attributed to them.
#
# HUSK_LEAKCHECK_IGNORE: extended regex of "kind path" lines to ignore.
# By default it ignores the per-command memory cgroups that the sandbox
# running our shell creates and removes on its own (/process_api/...), which
# come and go independently of the tests (in each hierarchy on v1/hybrid,
# at the top on v2).
# It also ignores husk-runtime's default cgroup parent (/husk), which stays
# once made, as docker's /docker does; the containers' own cgroups below it
# are still checked. And a runtime root's cache of compiled seccomp programs
# (.seccomp-cache), which stays as that root does. And the networks' bridges
# and husk's nftables table (above), and the engine's network state dirs
# (RUNROOT/.net and its dirs: what a container holds in them, kept
# namespaces, leases, is checked as mounts and leases).
HUSK_LEAKCHECK_IGNORE=${HUSK_LEAKCHECK_IGNORE:-'^cgroup /sys/fs/cgroup/([^/]+/)?(process_api(/|$)|husk$)|^state .*/\.seccomp-cache(/|$)|^state .*/\.net(/[a-z]+)?$|^(link|addr) husk(0|-[^ ]*)( |$)|^nft table ip husk$'}
HUSK_LEAKCHECK_PROCS=${HUSK_LEAKCHECK_PROCS:-'^(conmon|containerd.*|runc|crun|husk.*|podman|ctr|dnsmasq|aardvark-dns)$'}

HUSK_LEAKCHECK_STATE_ROOTS=${HUSK_LEAKCHECK_STATE_ROOTS:-/run/husk:/run/husk-engine:/run/runc:/run/crun}

# The fd table of the calling shell itself ("fd N WHAT" lines), read in
# that shell (not in a pipeline's subshell, whose own pipes would show).
_leakcheck_fds() {
  local fd target
  for fd in "/proc/$BASHPID/fd/"*; do
    target=$(readlink "$fd" 2>/dev/null) || continue
    case "$target" in pipe:* | socket:* | anon_inode:*) target=${target%%:*} ;; esac
    printf 'fd %s %s\n' "${fd##*/}" "$target"
  done
}

# "lease FILE LINE" for each address held in the networks of the engine
# run roots DIR...
_leakcheck_leases() {
  local d f line
  for d in "$@"; do
    for f in "$d"/.net/networks/*/leases; do
      [ -f "$f" ] || continue
      while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in "" | "last "*) ;; *) printf 'lease %s %s\n' "$f" "$line" ;; esac
      done <"$f"
    done
  done
}

leakcheck_leases() {
  local leases
  leases=$(_leakcheck_leases "$@")
  [ -n "$leases" ] || return 0
  [ -z "${BATS_FILE_TMPDIR:-}" ] || printf '%s\n' "$leases" >>"$BATS_FILE_TMPDIR/leakcheck.leases"
  echo "leakcheck: LEAKS: addresses still leased (${BATS_TEST_FILENAME:-this run}):" >&2
  printf '%s\n' "$leases" | sed 's/^/  /' >&2
  return 1
}

# The links, addresses and nftables state of the caller's network namespace.
_leakcheck_network() {
  local m text e elements
  if command -v ip >/dev/null; then
    ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "link " $2 }'
    ip -o addr show 2>/dev/null | awk '{ print "addr " $2 " " $4 }'
  fi
  command -v nft >/dev/null || return 0
  nft list tables 2>/dev/null | sed 's/^table /nft table /'
  # A map's elements: "elements = { E, E,<newline, tabs> E }".
  for m in published published_any; do
    text=$(nft list map ip husk "$m" 2>/dev/null) || continue
    text=${text//[$'\n\t']/ }
    [[ $text =~ elements\ =\ \{([^\}]*)\} ]] || continue
    IFS=, read -ra elements <<<"${BASH_REMATCH[1]}"
    for e in "${elements[@]}"; do
      read -r e <<<"$e"
      printf 'nft map %s %s\n' "$m" "$e"
    done
  done
}

# _leakcheck_state FDS : FDS from _leakcheck_fds.
_leakcheck_state() {
  local fds=$1 p ns comm mypidns roots=(/sys/fs/cgroup/*/) dirs d
  [ -z "$fds" ] || printf '%s\n' "$fds"
  awk '{ print "mount " $5 } $0 ~ / - nsfs / { print "netns " $5 }' /proc/self/mountinfo
  for p in /run/netns/*; do
    [ -e "$p" ] && printf 'netns %s\n' "$p"
  done
  IFS=: read -ra dirs <<<"$HUSK_LEAKCHECK_STATE_ROOTS${HUSK_LEAKCHECK_DIRS:+:$HUSK_LEAKCHECK_DIRS}"
  for d in "${dirs[@]}"; do
    [ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 2 2>/dev/null | sed 's|^|state |'
  done
  _leakcheck_leases "${dirs[@]}"
  # (An if: bats runs this under errexit.)
  if [ -f "${BATS_FILE_TMPDIR:-}/leakcheck.leases" ]; then cat "$BATS_FILE_TMPDIR/leakcheck.leases"; fi
  _leakcheck_network
  # On v2, /sys/fs/cgroup is the one hierarchy root (and its top-level
  # dirs are cgroups, not hierarchies).
  [ ! -e /sys/fs/cgroup/cgroup.controllers ] || roots=(/sys/fs/cgroup/)
  # -mindepth 1: the hierarchy roots themselves are the host's.
  find "${roots[@]}" -mindepth 1 -maxdepth 3 -type d 2>/dev/null |
    sed 's|//*|/|g; s|^|cgroup |'
  mypidns=$(readlink /proc/self/ns/pid)
  # Builtins where they do (forks are slow in the TCG test VM, tests/vm).
  for p in /proc/[0-9]*; do
    if [ "$p/ns/pid" -ef /proc/self/ns/pid ]; then
      ns=$mypidns
    else
      ns=$(readlink "$p/ns/pid" 2>/dev/null) || continue
    fi
    { IFS= read -r comm <"$p/comm"; } 2>/dev/null || continue
    [ "$ns" = "$mypidns" ] && ns=host
    printf 'proc %s %s %s\n' "${p#/proc/}" "$ns" "$comm"
  done
}

leakcheck_snapshot() {
  local file=${1:?usage: leakcheck_snapshot FILE}
  local fds
  fds=$(_leakcheck_fds)
  _leakcheck_state "$fds" | LC_ALL=C sort >"$file"
}

# One comparison; prints leaks (if any) on stdout. FDS: as _leakcheck_state's.
_leakcheck_diff() {
  local file=$1 fds=$2 now new leaks pid ns comm line state
  now=$(_leakcheck_state "$fds" | LC_ALL=C sort)
  # comm -13 on sorted multisets: lines only in "now" (a mount point mounted
  # twice counts twice, so stacked mounts are caught too).
  new=$(LC_ALL=C comm -13 "$file" <(printf '%s\n' "$now"))
  leaks=$(printf '%s\n' "$new" | grep -E '^(mount|netns|cgroup|state|fd|link|addr|nft|lease) ' | grep -Ev -- "$HUSK_LEAKCHECK_IGNORE" || true)
  # Processes: new ones only, and only suspicious ones, still alive now.
  while read -r _ pid ns comm; do
    [ -n "$pid" ] || continue
    state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
    # A zombie is already dead, just not yet reaped by its parent.
    case "$state" in "" | Z | X) continue ;; esac
    if [ "$ns" != host ] || [[ $comm =~ $HUSK_LEAKCHECK_PROCS ]]; then
      line="proc $pid $ns $comm: $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | cut -c1-200)"
      leaks+=${leaks:+$'\n'}$line
    fi
  done < <(printf '%s\n' "$new" | grep '^proc ' | grep -Ev -- "$HUSK_LEAKCHECK_IGNORE" || true)
  [ -z "$leaks" ] || printf '%s\n' "$leaks"
}

# Retries for HUSK_LEAKCHECK_GRACE seconds (default 5): conmon, shims and
# killed container processes take a moment to exit after their peer returns.
leakcheck_compare() {
  local file=${1:?usage: leakcheck_compare FILE}
  [ -r "$file" ] || { echo "leakcheck: no snapshot $file" >&2; return 1; }
  local leaks deadline=$((SECONDS + ${HUSK_LEAKCHECK_GRACE:-5}))
  local fds
  while :; do
    fds=$(_leakcheck_fds)
    leaks=$(_leakcheck_diff "$file" "$fds")
    [ -n "$leaks" ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.2
  done
  echo "leakcheck: LEAKS: left behind since $file (${BATS_TEST_FILENAME:-this run}):" >&2
  printf '%s\n' "$leaks" | sed 's/^/  /' >&2
  return 1
}
