#!/usr/bin/env bats
# --network bridge: docker's default bridge network (a bridge on the host, a
# veth per container with eth0 inside, an address leased from the network's
# pool, the default route through the gateway), set up at each start and let
# go at its end. The engine runs inside a network namespace this file makes
# (the test's "host"): the machine's own interfaces, routes and firewall are
# never touched, and traffic goes only to addresses inside it.

load ../lib/network.bash

setup_file() { network_file_setup; }
teardown_file() { network_file_teardown; }
setup() { engine_setup husk-network; }
teardown() { network_teardown; }

@test "network: --network bridge gives eth0 an address of the bridge's subnet, the route through its gateway and the host's MTU" {
  # The test host's uplink: a veth whose other end stays in it too.
  on_host ip link add hostup mtu 1400 type veth peer name hostup-peer mtu 1400
  on_host ip link set hostup-peer up
  on_host ip link set hostup up
  on_host ip addr add 192.0.2.1/24 dev hostup
  on_host ip route add default via 192.0.2.254 dev hostup
  run h run --rm --network bridge busybox sh -c 'ip -4 -o addr show eth0; ip route; cat /sys/class/net/eth0/mtu /sys/class/net/eth0/address'
  assert_status 0
  assert_match 'eth0 +inet 10\.87\.0\.2/16' "${lines[0]}" "the first address of the pool"
  assert_match '^default via 10\.87\.0\.1 dev eth0' "${lines[1]}"
  assert_eq 1400 "${lines[3]}" "the MTU of the host's default route"
  assert_eq 02:42:0a:57:00:02 "${lines[4]}" "docker's MAC for the address"
  # The bridge stays, with the gateway's address; the container's veth went with it.
  assert_match 'inet 10\.87\.0\.1/16' "$(on_host ip -4 -o addr show husk0)"
  assert_eq "" "$(ls -A "$RUNROOT/.net/netns" 2>/dev/null)" "the kept namespace"
  assert_eq "" "$(grep -v '^last ' "$RUNROOT/.net/networks/bridge/leases" 2>/dev/null)" "the leases"
  on_host ip link del hostup
}

@test "network: containers on the bridge reach each other and the host, and inspect shows their addresses" {
  id=$(h run -d --name web --network bridge busybox sh -c 'echo hello >/tmp/i.html; exec httpd -f -p 80 -h /tmp')
  ip=$(h inspect --format '{{.NetworkSettings.IPAddress}}' web)
  assert_match '^10\.87\.0\.[0-9]+$' "$ip"
  assert_eq "10.87.0.1 16 bridge" \
    "$(h inspect --format '{{.NetworkSettings.Gateway}} {{.NetworkSettings.IPPrefixLen}} {{.HostConfig.NetworkMode}}' web)"
  assert_eq "$ip" "$(h inspect --format '{{.NetworkSettings.Networks.bridge.IPAddress}}' web)"
  wait_for 10 on_host curl -sf --max-time 1 -o /dev/null "http://$ip/i.html"
  assert_eq hello "$(on_host curl -sf --max-time 2 "http://$ip/i.html")" "from the host"
  # (busybox wget's -T crashes in Debian's busybox-static: the server is up by now.)
  run h run --rm --network bridge busybox wget -q -O - "http://$ip/i.html"
  assert_status 0
  assert_eq hello "$output" "from another container"
  # Each start gets the network again; a stop lets it go.
  h stop -t 1 web >/dev/null
  assert_eq "" "$(h inspect --format '{{.NetworkSettings.IPAddress}}' web)" "stopped: no address"
  assert_eq "" "$(ls -A "$RUNROOT/.net/netns")"
  h start web >/dev/null
  ip2=$(h inspect --format '{{.NetworkSettings.IPAddress}}' web)
  assert_match '^10\.87\.0\.[0-9]+$' "$ip2"
  wait_for 10 on_host curl -sf --max-time 1 -o /dev/null "http://$ip2/i.html"
  h rm -f web >/dev/null
  assert_eq "" "$(ls -A "$RUNROOT/.net/netns")" "rm -f: no namespace kept"
}

@test "network: what a crashed start left (its kept namespace, its veth, its lease) is replaced by the next start" {
  id=$(h create --network bridge busybox sleep 1000)
  # As a start SIGKILLed half-way leaves them: a kept namespace, a veth of
  # the container's name on the bridge's host, a lease.
  mkdir -p "$RUNROOT/.net/netns" "$RUNROOT/.net/networks/bridge"
  touch "$RUNROOT/.net/netns/$id"
  on_host ip link add "husk${id:0:11}" type veth peer name crashed-peer
  printf 'last 10.87.0.2\n10.87.0.2 %s\n' "$id" >"$RUNROOT/.net/networks/bridge/leases"
  run h start "$id"
  assert_status 0
  assert_eq 10.87.0.3 "$(h inspect --format '{{.NetworkSettings.IPAddress}}' "$id")" "a new lease, round robin"
  assert_eq 1 "$(grep -c "$id" "$RUNROOT/.net/networks/bridge/leases")" "one lease"
  h rm -f "$id" >/dev/null
}

@test "network: /etc/hosts names the container's address of each start; --add-host, --dns* and a -v over them, as docker's" {
  run h run --rm --network bridge -h box --add-host db:10.1.2.3 --add-host gw:host-gateway --dns 192.0.2.53 \
    --dns-search example.org busybox sh -c 'tail -3 /etc/hosts; cat /etc/hostname /etc/resolv.conf'
  assert_status 0
  assert_eq "10.1.2.3	db" "${lines[0]}"
  assert_eq "10.87.0.1	gw" "${lines[1]}" "host-gateway: the bridge's gateway"
  assert_match '^10\.87\.0\.[0-9]+	box$' "${lines[2]}" "its address, its hostname"
  assert_eq box "${lines[3]}"
  assert_eq "search example.org" "${lines[4]}"
  assert_eq "nameserver 192.0.2.53" "${lines[5]}"
  # A user's file over one of them wins.
  echo "10.9.9.9 mine" >"$T/myhosts"
  run h run --rm --network bridge -v "$T/myhosts:/etc/hosts:ro" busybox cat /etc/hosts
  assert_eq "10.9.9.9 mine" "$output"
  # --network none: no address line, the names still there.
  run h run --rm --network none -h quiet busybox sh -c 'grep -c quiet /etc/hosts; cat /etc/hostname'
  assert_eq "0" "${lines[0]}"
  assert_eq quiet "${lines[1]}"
  run h run --rm --add-host nocolon busybox true
  assert_status 125
  assert_match 'bad format for add-host: "nocolon"' "$output"
}

@test "network: a container reaches an outside host through the bridge, masqueraded as the host (husk's nftables table)" {
  make_outside
  local outside=$OUTSIDE
  # A server there that writes the address each client came from.
  timeout 20 ip netns exec "$outside" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.254", 9000)); s.listen(1); s.settimeout(15)
c, a = s.accept(); print(a[0], c.recv(64).decode().strip(), flush=True)' >"$T/seen" 2>&1 &
  local server=$!
  wait_for 10 ip netns exec "$outside" sh -c 'ss -ltn | grep -q 192.0.2.254:9000'
  run h run --rm --network bridge busybox sh -c 'echo from-container | nc 192.0.2.254 9000'
  assert_status 0
  wait "$server" || true
  assert_eq "192.0.2.1 from-container" "$(cat "$T/seen")" "masqueraded as the host's uplink"
  assert_eq 1 "$(on_host cat /proc/sys/net/ipv4/ip_forward)"
  on_host nft list table ip husk >"$T/table"
  assert_match 'masquerade' "$(cat "$T/table")"
  assert_match '"husk0"' "$(cat "$T/table")"
}


@test "network: -p publishes a container's port: from outside, from the host (its own address and 127.0.0.1), from another container; husk port and inspect show it" {
  make_outside
  h run -d --name web --network bridge -p 8080:80 -p 127.0.0.1::80 busybox \
    sh -c 'echo hello >/tmp/i.html; exec httpd -f -p 80 -h /tmp' >/dev/null
  wait_for 10 outside curl -sf --max-time 1 -o /dev/null http://192.0.2.1:8080/i.html
  assert_eq hello "$(outside curl -sf --max-time 2 http://192.0.2.1:8080/i.html)" "from outside"
  assert_eq hello "$(on_host curl -sf --max-time 2 http://192.0.2.1:8080/i.html)" "from the host, its address"
  assert_eq hello "$(on_host curl -sf --max-time 2 http://127.0.0.1:8080/i.html)" "from the host, 127.0.0.1"
  run h run --rm --network bridge busybox wget -q -O - http://192.0.2.1:8080/i.html
  assert_eq hello "$output" "from another container, through the host's address"
  run h port web
  assert_status 0
  assert_eq "80/tcp -> 0.0.0.0:8080" "${lines[0]}"
  assert_match '^80/tcp -> 127\.0\.0\.1:[0-9]+$' "${lines[1]}"
  random=${lines[1]##*:}
  assert_eq hello "$(on_host curl -sf --max-time 2 "http://127.0.0.1:$random/i.html")" "the random port"
  run outside curl -s --max-time 2 "http://192.0.2.1:$random/i.html"
  [ "$status" -ne 0 ] || { echo "127.0.0.1's port reached from outside" >&2; return 1; }
  assert_eq "8080" "$(h inspect --format '{{json .NetworkSettings.Ports}}' web | jq -r '."80/tcp"[0].HostPort')"
  assert_eq '{"80/tcp":[{"HostIp":"","HostPort":"8080"},{"HostIp":"127.0.0.1","HostPort":""}]}' \
    "$(h inspect --format '{{json .HostConfig.PortBindings}}' web)"
  assert_eq "0.0.0.0:8080 127.0.0.1:$random" "$(h port web 80 | tr '\n' ' ' | sed 's/ $//')" "each binding of 80/tcp"
  assert_eq "0.0.0.0:8080->80/tcp, 127.0.0.1:$random->80/tcp" "$(h ps --format json | jq -r 'select(.Names == "web") | .Ports')"
  assert_match "0.0.0.0:8080->80/tcp, 127.0.0.1:$random->80/tcp +web$" "$(h ps | grep ' web$')"
  # The port is taken while web runs: a second -p 8080 fails (125), leaving nothing.
  run h run --rm --network bridge -p 8080:80 busybox true
  assert_status 125
  assert_match 'Bind for 0.0.0.0:8080 failed: port is already allocated' "$output"
  assert_eq 1 "$(ls "$R/containers" | wc -l)" "only web"
  # Stopped: its ports go (and come back with its start).
  h stop -t 1 web >/dev/null
  assert_eq "" "$(on_host nft list map ip husk published_any | grep -o '8080')" "unpublished"
  run outside curl -s --max-time 1 http://192.0.2.1:8080/i.html
  [ "$status" -ne 0 ]
  h start web >/dev/null
  wait_for 10 outside curl -sf --max-time 1 -o /dev/null http://192.0.2.1:8080/i.html
  h rm -f web >/dev/null
  assert_eq "" "$(ls -A "$RUNROOT/.net/ports" | grep -v '^lock$')" "no published ports recorded"
}

@test "network: -P publishes the exposed ports (--expose, the image's) to free host ports; inspect shows them exposed" {
  make_outside
  h run -d --name all --network bridge -P --expose 80 --expose 7000-7001/udp busybox \
    sh -c 'echo hello >/tmp/i.html; exec httpd -f -p 80 -h /tmp' >/dev/null
  run h port all 80
  assert_status 0
  assert_match '^0\.0\.0\.0:[0-9]+$' "$output"
  hostport=${output##*:}
  wait_for 10 outside curl -sf --max-time 1 -o /dev/null "http://192.0.2.1:$hostport/i.html"
  assert_eq 3 "$(h port all | wc -l)" "80/tcp, 7000/udp, 7001/udp"
  assert_eq '{"7000/udp":{},"7001/udp":{},"80/tcp":{}}' "$(h inspect --format '{{json .Config.ExposedPorts}}' all | jq -cS .)"
  assert_eq true "$(h inspect --format '{{.HostConfig.PublishAllPorts}}' all)"
  run h run --rm --expose x busybox true
  assert_status 125
  assert_match 'invalid range format for --expose: x' "$output"
}

@test "network: -p over UDP: a datagram to the host's port reaches the container's namespace" {
  make_outside
  h run -d --name udp --network bridge -p 5353:53/udp busybox sleep 1000 >/dev/null
  # Nothing listens on the container's 53: its kernel counts the datagram
  # as one for a closed port (Udp NoPorts), which only one that reached it can be.
  noports() { h exec udp cat /proc/net/snmp | awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $3 }'; }
  before=$(noports)
  outside bash -c 'echo ping >/dev/udp/192.0.2.1/5353'
  arrived() { [ "$(noports)" -gt "$before" ]; }
  wait_for 5 arrived
  assert_eq "53/udp -> 0.0.0.0:5353" "$(h port udp)"
}

@test "network: bad -p values are refused with docker's messages and 125" {
  for bad in "70000:80" "80:0" "8080-8081:80-82" "localhost:80:80" "80/icmp"; do
    run h run --rm --network bridge -p "$bad" busybox true
    assert_status 125
  done
  run h run --rm -p 70000:80 busybox true
  assert_match 'Invalid hostPort: 70000' "$output"
  run h run --rm -p localhost:80:80 busybox true
  assert_match 'invalid IP address: localhost' "$output"
  assert_eq "" "$(ls -A "$R/containers")"
  run h run --rm --network none -p 8080:80 busybox true
  assert_status 0
  assert_match 'WARNING: Published ports are discarded' "$output"
}

@test "network: a network the engine does not have is refused with 125, leaving nothing" {
  run h run --rm --network nosuch busybox true
  assert_status 125
  assert_eq "husk: network nosuch not found" "$output"
  assert_eq "" "$(ls -A "$R/containers")"
}

@test "network: restart gets its ports back: a fixed one, and a random one the same while it is free" {
  h run -d --name web -p 8081:80 -p 80 busybox sh -c 'echo hi >/tmp/i.html; exec httpd -f -p 80 -h /tmp' >/dev/null
  before=$(h port web 80/tcp | sort | tr '\n' ' ')
  assert_match '0\.0\.0\.0:8081' "$before"
  assert_match '0\.0\.0\.0:[0-9]+ 0\.0\.0\.0:[0-9]+' "$before" "a fixed and a random one"
  h restart -t 0 web >/dev/null
  assert_eq "$before" "$(h port web 80/tcp | sort | tr '\n' ' ')" "the same host ports"
  wait_for 10 on_host curl -sf --max-time 1 -o /dev/null http://127.0.0.1:8081/i.html
  random=$(h port web 80/tcp | grep -v ':8081$' | cut -d: -f2)
  assert_eq hi "$(on_host curl -sf --max-time 2 "http://127.0.0.1:$random/i.html")" "through the random one"
  h rm -f web >/dev/null
}

@test "network: runs at once asking for one host port: one gets it, the others fail with 125; random ports never collide" {
  for i in 1 2 3 4 5 6; do
    (
      rc=0
      h run -d --name "race$i" -p 18080:80 -p 80 busybox sleep 60 >"$T/race.$i" 2>&1 || rc=$?
      echo "$rc" >"$T/rc.$i"
    ) &
  done
  wait
  all_done() { local i; for i in 1 2 3 4 5 6; do [ -s "$T/$1.$i" ] || return 1; done; }
  all_done rc
  won=0
  for i in 1 2 3 4 5 6; do
    case "$(cat "$T/rc.$i")" in
      0) won=$((won + 1)) ;;
      125) assert_eq "husk: Bind for 0.0.0.0:18080 failed: port is already allocated" "$(cat "$T/race.$i")" ;;
      *) echo "race$i: $(cat "$T/rc.$i") $(cat "$T/race.$i")" >&2; return 1 ;;
    esac
  done
  assert_eq 1 "$won" "one run holds 18080"
  assert_eq 1 "$(on_host nft list map ip husk published_any | grep -c '18080')" "one rule for 18080"
  # Without a fixed port, each gets its own random one.
  for i in 1 2 3 4 5 6; do
    (
      rc=0
      h run -d --name "any$i" -p 80 busybox sleep 60 >/dev/null 2>"$T/any.$i" || rc=$?
      echo "$rc" >"$T/anyrc.$i"
    ) &
  done
  wait
  all_done anyrc
  for i in 1 2 3 4 5 6; do assert_eq 0 "$(cat "$T/anyrc.$i")" "any$i: $(cat "$T/any.$i")"; done
  ports=$(for i in 1 2 3 4 5 6; do h port "any$i" 80; done | sort)
  assert_eq 6 "$(sort -u <<<"$ports" | wc -l)" "six different host ports: $ports"
  h rm -f $(h ps -aq) >/dev/null
  assert_eq "" "$(ls -A "$RUNROOT/.net/ports" | grep -v '^lock$')" "no published ports recorded"
}

@test "network: 100 containers on one bridge, each with its own address, all reachable from another; all let go at rm" {
  local i
  for i in $(seq 1 100); do
    h run -d --name "c$i" busybox sleep 600 >/dev/null
  done
  h ps -q | wc -l | grep -qx 100
  addrs=$(for i in $(seq 1 100); do h inspect -f '{{.NetworkSettings.IPAddress}}' "c$i"; done)
  assert_eq 100 "$(sort -u <<<"$addrs" | grep -c '^10\.87\.')" "100 different addresses of the bridge"
  # One container pings every one of them (bounded: 1 s each at most).
  run h run --rm --cap-add NET_RAW busybox sh -c "n=0; for a in $(echo $addrs); do ping -c1 -W1 \$a >/dev/null && n=\$((n+1)); done; echo \$n"
  assert_status 0
  assert_eq 100 "$output" "reachable"
  h rm -f $(h ps -aq) >/dev/null
  wait_for 10 no_container_veths
  assert_eq "" "$(grep -v '^last ' "$RUNROOT/.net/networks/bridge/leases" 2>/dev/null)" "no lease left"
}
