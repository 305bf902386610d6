# shellcheck shell=bash
# Shared setup for the husk-runtime bats files (runtime*.bats, seeds.bats).
#
# Loaded with `load runtime_common` from a .bats file in this directory.  Not
# a .bats file itself, so ctest does not register it.
#
# Every test gets:
#   T          its own temp dir ($BATS_TEST_TMPDIR)
#   ROOT       the runtime's --root state dir ($T/state)
#   CG_PARENT  a unique cgroup parent: containers use /$CG_PARENT/<bundle name>
#   ID, ID2    unique container ids
#   BUNDLE     $T/bundle (created by mkbundle)
# and teardown removes containers, cgroups, mounts and processes, pass or fail.
#
#   bats tests/integration/runtime.bats
#   RUNTIME=/usr/sbin/runc bats tests/integration/runtime.bats   # another runtime

HUSK_SOURCE_DIR=${HUSK_SOURCE_DIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
HUSK_BUILD_DIR=${HUSK_BUILD_DIR:-$HUSK_SOURCE_DIR/build}
export HUSK_SOURCE_DIR HUSK_BUILD_DIR

load ../lib/fixtures
load ../lib/assert
load ../lib/leakcheck

HUSK=$(husk_runtime)

# ---- file level ------------------------------------------------------------

common_setup_file() {
  husk_require_runtime
  command -v jq >/dev/null || skip "jq missing (scripts/install-deps.sh)"
  command -v runc >/dev/null || skip "runc missing: the fixtures use 'runc spec'"
  export HUSK_LEAK_SNAPSHOT="$BATS_FILE_TMPDIR/leak.before"
  leakcheck_snapshot "$HUSK_LEAK_SNAPSHOT"
}

common_teardown_file() {
  [ -z "${HUSK_LEAK_SNAPSHOT:-}" ] || leakcheck_compare "$HUSK_LEAK_SNAPSHOT"
}

# bats' hooks, as most files want them: a file that needs more defines its
# own after `load runtime_common` (calling these common_* parts).
setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# ---- test level ------------------------------------------------------------

common_setup() {
  T=$BATS_TEST_TMPDIR
  ROOT=$T/state
  CG_PARENT=husk-test-$$-${BATS_TEST_NUMBER}-$RANDOM
  ID=$(husk_unique_name ht)
  ID2=$(husk_unique_name ht2)
  BUNDLE=$T/bundle
  HRUN_N=0
  # Extra dirs outside $T a test made (removed by teardown).
  EXTRA_DIRS=()
  # Cgroups outside $CG_PARENT a test made, relative to the hierarchy roots.
  EXTRA_CGROUPS=()
  : >"$T/bg.pids"
}

# The containers a reference runtime (runc) made under its --root STATE,
# force-deleted with it, and STATE removed; nothing made is no error.
reference_teardown() {
  local runtime=$1 state=$2 id
  [ -n "$state" ] && [ -d "$state" ] || return 0
  for id in "$state"/*; do
    [ -e "$id" ] || continue
    timeout 30 "$runtime" --root "$state" delete --force "${id##*/}" >/dev/null 2>&1 </dev/null
  done
  rm -rf "$state"
}

common_teardown() {
  local id cg d pid
  # Background helpers (console receivers, foreground runs) we started.
  while read -r pid; do
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  done <"$T/bg.pids"
  if [ -d "$ROOT" ]; then
    for id in "$ROOT"/*; do
      [ -e "$id" ] || continue
      timeout 30 "$HUSK" --root "$ROOT" delete --force "${id##*/}" >/dev/null 2>&1 </dev/null
    done
  fi
  # Whatever the runtime left: processes in our cgroups are killed, the
  # cgroups removed depth-first.
  for cg in "$CG_PARENT" "${EXTRA_CGROUPS[@]}"; do
    while IFS= read -r d; do
      husk_rm_cgroup_tree "$d"
    done < <(husk_cgroup_dirs "$cg")
  done
  # Container processes that escaped their cgroup: their root is in $T.
  for pid in $(procs_rooted_under "$T"); do
    kill -KILL "$pid" 2>/dev/null
  done
  husk_unmount_under "$T"
  for d in "${EXTRA_DIRS[@]}"; do
    husk_unmount_under "$d"
    rm -rf "$d"
  done
  rm -rf "$ROOT"
  return 0
}

# ---- helpers ---------------------------------------------------------------

# write_console_receiver : $BATS_FILE_TMPDIR/console_receiver.py, which
# receives a pty master over a unix socket (--console-socket), as
# containerd/conmon do, writes SEND to it when given, then copies what the
# container writes to OUT:  python3 console_receiver.py SOCK OUT [SEND]
write_console_receiver() {
  cat >"$BATS_FILE_TMPDIR/console_receiver.py" <<'EOF'
import array, os, signal, socket, sys
sock_path, out_path = sys.argv[1], sys.argv[2]
send = sys.argv[3] if len(sys.argv) > 3 else None
signal.alarm(30)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock_path)
s.listen(1)
conn, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
if len(fds) != 1:
    sys.exit("console receiver: expected one fd, got %d" % len(fds))
master = fds[0]
if send is not None:
    os.write(master, send.encode())
data = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:  # EIO: every slave fd closed, the container is gone
        break
    if not chunk:
        break
    data += chunk
with open(out_path + ".tmp", "wb") as f:
    f.write(data)
os.rename(out_path + ".tmp", out_path)
EOF
}

# hk ARGS... : the runtime under test with this test's --root.
hk() {
  "$HUSK" --root "$ROOT" "$@"
}

# hrun CMD... : like bats' `run`, but through files and with stdin from
# /dev/null, so a container process that inherits the runtime's stdout
# (create, run -d, exec -d) cannot keep the test waiting for end-of-file.
# Sets status, output (stdout then stderr), stdout, stderr, lines.
hrun() {
  HRUN_N=$((HRUN_N + 1))
  local o="$T/hrun.$HRUN_N.out" e="$T/hrun.$HRUN_N.err"
  status=0
  "$@" >"$o" 2>"$e" </dev/null || status=$?
  stdout=$(cat "$o")
  stderr=$(cat "$e")
  output=$stdout${stdout:+${stderr:+$'\n'}}$stderr
  mapfile -t lines <<<"$output"
  return 0
}

# bg CMD... : run CMD in the background; teardown kills it.
bg() {
  # fd 3 is bats' own output: a background job holding it stalls bats.
  "$@" 3>&- &
  echo $! >>"$T/bg.pids"
}

# mkbundle DIR [ARGS...] : busybox bundle (tests/lib/fixtures.bash) whose
# cgroupsPath is /$CG_PARENT/<basename DIR>.
mkbundle() {
  local dir=$1
  shift
  husk_bundle "$dir" "$@" || return 1
  cfg_at "$dir" '.linux.cgroupsPath = $cg' --arg cg "/$CG_PARENT/${dir##*/}"
}

# cfg_at DIR FILTER [JQ ARGS...] : edit DIR/config.json in place with jq.
cfg_at() {
  local dir=$1 filter=$2
  shift 2
  jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.tmp" &&
    mv "$dir/config.json.tmp" "$dir/config.json"
}

# cfg FILTER [JQ ARGS...] : cfg_at $BUNDLE.
cfg() {
  cfg_at "$BUNDLE" "$@"
}

# add_mount_at DIR JSON : append a mount to DIR's config.
add_mount_at() {
  cfg_at "$1" '.mounts += [$m]' --argjson m "$2"
}

# Capabilities: every set of process.capabilities set to the given list.
set_caps_at() {
  local dir=$1 caps
  shift
  caps=$(jq -n '$ARGS.positional' --args -- "$@")
  cfg_at "$dir" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c, inheritable: $c, ambient: $c}' \
    --argjson c "$caps"
}

# state_of ID FIELD : one field of `state ID`.
state_of() {
  hk state "$1" | jq -r ".$2"
}

status_is() {
  [ "$(state_of "$1" status 2>/dev/null)" = "$2" ]
}

# wait_status ID STATUS [TIMEOUT]
wait_status() {
  wait_for "${3:-10}" status_is "$1" "$2" || {
    echo "container $1 did not reach status $2; state: $(hk state "$1" 2>&1)" >&2
    return 1
  }
}

# hk_create ID BUNDLE [CREATE ARGS...] : create with stdio on files; fails the
# test with the runtime's message when create fails.
hk_create() {
  local id=$1 bundle=$2
  shift 2
  hrun hk create --bundle "$bundle" "$@" "$id"
  if [ "$status" -ne 0 ]; then
    echo "create $id failed ($status): $output" >&2
    return 1
  fi
}

# hk_start_sleeper ID BUNDLE : create + start; the container must already
# run something long-lived.
hk_create_start() {
  hk_create "$1" "$2" || return 1
  hrun hk start "$1"
  if [ "$status" -ne 0 ]; then
    echo "start $1 failed ($status): $output" >&2
    return 1
  fi
}

# Pids of processes whose root directory is DIR or below it: container
# processes of bundles under DIR.  After pivot_root /proc/PID/root reads as
# "/", so for a process in another mount namespace the root mount's source
# path (mountinfo field 4, relative to its filesystem) is what is compared.
procs_rooted_under() {
  local dir=$1 mine p r ns fsmnt rel
  local -A nsroot=()
  mine=$(readlink /proc/self/ns/mnt)
  fsmnt=$(findmnt -n -o TARGET --target "$dir" 2>/dev/null | head -1)
  rel=${dir#"${fsmnt%/}"}
  for p in /proc/[0-9]*; do
    # Fork-free skips for the common cases (forks are slow in the TCG test
    # VM, tests/vm): kernel threads and zombies have no exe and no root;
    # a process of our mount namespace rooted at / is not in DIR.
    [ -e "$p/exe" ] || continue
    [ "$p/ns/mnt" -ef /proc/self/ns/mnt ] && [ "$p/root" -ef / ] && continue
    ns=$(readlink "$p/ns/mnt" 2>/dev/null) || continue
    if [ "$ns" = "$mine" ]; then
      r=$(readlink "$p/root" 2>/dev/null) || continue
      case "$r" in "$dir" | "$dir"/*) echo "${p#/proc/}" ;; esac
      continue
    fi
    if [ -z "${nsroot[$ns]+set}" ]; then
      nsroot[$ns]=$(awk '$5 == "/" { r = $4 } END { print r }' "$p/mountinfo" 2>/dev/null)
    fi
    r=${nsroot[$ns]}
    case "$r" in "$rel" | "$rel"/*) echo "${p#/proc/}" ;; esac
  done
}

# assert_nothing_left ID : no state, cgroup, mount or process of container ID
# (and of this test's cgroup parent) remains.
assert_nothing_left() {
  local id=$1 bad="" cg m p
  [ ! -e "$ROOT/$id" ] || bad+="state dir $ROOT/$id exists: $(ls -A "$ROOT/$id" | tr '\n' ' ')"$'\n'
  for cg in $(husk_cgroup_dirs "$CG_PARENT"); do
    m=$(find "$cg" -mindepth 1 -type d 2>/dev/null)
    [ -z "$m" ] || bad+="cgroup dirs left: $m"$'\n'
  done
  m=$(_husk_mounts_under "$T")
  [ -z "$m" ] || bad+="mounts left: $m"$'\n'
  p=$(procs_rooted_under "$T")
  [ -z "$p" ] || bad+="processes left: $(for x in $p; do printf '%s(%s) ' "$x" "$(cat /proc/"$x"/comm 2>/dev/null)"; done)"$'\n'
  if [ -n "$bad" ]; then
    printf 'container %s left things behind:\n%s' "$id" "$bad" >&2
    return 1
  fi
}

# assert_failed_cleanly WANT_MSG : the last hrun failed, with one message on
# stderr (one line, "husk-runtime: ..." for husk) that contains WANT_MSG.
assert_failed_cleanly() {
  local want=$1
  if [ "$status" -eq 0 ]; then
    printf 'expected failure, got exit 0; output:\n%s\n' "$output" >&2
    return 1
  fi
  assert_contains "$stderr" "$want" stderr || return 1
  local n
  n=$(printf '%s\n' "$stderr" | grep -c .)
  if [ "$n" -ne 1 ]; then
    printf 'expected one error line on stderr, got %s:\n%s\n' "$n" "$stderr" >&2
    return 1
  fi
}

# A static helper program compiled once per file into $BATS_FILE_TMPDIR.
# build_static NAME <<'EOF' ... C source ... EOF
build_static() {
  local name=$1
  command -v gcc >/dev/null || skip "gcc missing"
  cat >"$BATS_FILE_TMPDIR/$name.c"
  gcc -static -O1 -o "$BATS_FILE_TMPDIR/$name" "$BATS_FILE_TMPDIR/$name.c"
}

# ---- cgroup files on any layout (cgroups.bats, podman_cgroups.bats) --------
# A container's cgroup files are read from the host with
#   cg_read CONTROLLER V1FILE V2FILE [CGPATH]
# e.g. `cg_read memory memory.limit_in_bytes memory.max`: the file of
# cgroup CGPATH (default /$CG_PARENT/<bundle name>, where mkbundle puts the
# container) that holds that value on this host's layout.  No forks where
# avoidable: they are slow in the TCG test VM (tests/vm).

# cg_v2 : true on a pure cgroup v2 host (cgroup2 alone on /sys/fs/cgroup).
cg_v2() {
  [ -e /sys/fs/cgroup/cgroup.controllers ]
}

# cg_root CONTROLLER : the hierarchy root holding CONTROLLER: /sys/fs/cgroup
# on v2; the v1 hierarchy (cpu and cpu,cpuacct alike) on v1/hybrid; the
# cgroup2 mount on a hybrid host whose controller is bound there instead of
# to a v1 hierarchy (hugetlb on some hosts).  Fails if the kernel has none.
cg_root() {
  local c=$1 d ctrls
  if cg_v2; then
    read -r ctrls </sys/fs/cgroup/cgroup.controllers
    # cpuacct and freezer are core parts of every v2 cgroup.
    case " $ctrls cpuacct freezer " in *" $c "*) echo /sys/fs/cgroup; return 0 ;; esac
    return 1
  fi
  for d in /sys/fs/cgroup/*; do
    [ -e "$d/cgroup.procs" ] && [ ! -e "$d/cgroup.controllers" ] || continue
    case ",${d##*/}," in *",$c,"*) echo "$d"; return 0 ;; esac
  done
  if [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
    read -r ctrls </sys/fs/cgroup/unified/cgroup.controllers
    case " $ctrls " in *" $c "*) echo /sys/fs/cgroup/unified; return 0 ;; esac
  fi
  return 1
}

# cg_path CONTROLLER V1FILE V2FILE [CGPATH] : host path of the file
# (V2FILE when the controller lives in a cgroup2 hierarchy, else V1FILE).
cg_path() {
  local root cg=${4:-/$CG_PARENT/${BUNDLE##*/}}
  root=$(cg_root "$1") || { echo "no $1 controller on this host" >&2; return 1; }
  if [ -e "$root/cgroup.controllers" ]; then
    echo "$root$cg/$3"
  else
    echo "$root$cg/$2"
  fi
}

# cg_read CONTROLLER V1FILE V2FILE [CGPATH] : that file's content.
cg_read() {
  local p
  p=$(cg_path "$@") || return 1
  cat "$p"
}

# cg_in CONTROLLER V1FILE V2FILE : the same file as a container with its own
# cgroup namespace sees it under its /sys/fs/cgroup.
cg_in() {
  local root
  root=$(cg_root "$1") || { echo "no $1 controller on this host" >&2; return 1; }
  if [ "$root" = /sys/fs/cgroup ]; then
    echo "/sys/fs/cgroup/$3"
  elif [ -e "$root/cgroup.controllers" ]; then
    echo "/sys/fs/cgroup/${root##*/}/$3"
  else
    echo "/sys/fs/cgroup/${root##*/}/$2"
  fi
}

# cg_cpu_usage_ns [CGPATH] : CPU time used by the cgroup so far, in ns
# (cpuacct.usage on v1, cpu.stat usage_usec on v2).
cg_cpu_usage_ns() {
  local p k v
  p=$(cg_path cpuacct cpuacct.usage cpu.stat "$@") || return 1
  if [ "${p##*/}" = cpuacct.usage ]; then
    cat "$p"
    return
  fi
  while read -r k v; do
    [ "$k" = usage_usec ] && { echo $((v * 1000)); return 0; }
  done <"$p"
  return 1
}

# cg_nprocs [CGPATH] : how many processes the cgroup has (pids hierarchy).
cg_nprocs() {
  local p a
  p=$(cg_path pids cgroup.procs cgroup.procs "$@") || return 1
  mapfile -t a <"$p"
  echo "${#a[@]}"
}
