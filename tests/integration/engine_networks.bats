#!/usr/bin/env bats
# User-defined networks (`husk network create|ls|inspect|rm|prune|connect|
# disconnect`, --network NAME, --ip, --mac-address, --network-alias): a
# bridge each, isolated from each other, and names: the containers on one
# resolve each other (name, alias, short id) through the network's name
# server (a dnsmasq on its gateway), which forwards other names. The engine
# runs inside a network namespace this file makes (tests/lib/network.bash).

load ../lib/network.bash

setup_file() { network_file_setup; }
teardown_file() { network_file_teardown; }
setup() { engine_setup husk-networks; }
teardown() {
  # The upstream resolver (ip netns exec forks it: its own pid file).
  [ ! -s "$T/upstream.pid" ] || kill "$(cat "$T/upstream.pid")" 2>/dev/null || true
  [ -z "${UPSTREAM_PID:-}" ] || kill "$UPSTREAM_PID" 2>/dev/null || true
  h network prune -f >/dev/null 2>&1 || true
  network_teardown
}

# The address NAME resolves to inside a container on NETWORK.
resolve() {
  local network=$1 name=$2
  h run --rm --network "$network" busybox nslookup "$name" | awk '/^Address: / { print $2; exit }'
}

# The outside host with an upstream resolver (a dnsmasq there that knows
# example.test), named in a config file: hc is husk with it.
with_upstream() {
  make_outside
  outside dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --listen-address=192.0.2.254 --bind-interfaces --address=/example.test/192.0.2.80 \
    --pid-file="$T/upstream.pid" &
  UPSTREAM_PID=$!
  echo '{"dns": ["192.0.2.254"]}' >"$T/daemon.json"
}
hc() { h --config "$T/daemon.json" "$@"; }

@test "networks: create, ls, inspect and rm, with docker's fields; a chosen subnet is a free one" {
  a=$(h network create a)
  assert_match '^[0-9a-f]{64}$' "$a"
  h network create --subnet 10.200.0.0/24 --gateway 10.200.0.254 --ip-range 10.200.0.128/25 \
    --label team=db -o com.docker.network.bridge.name=hkbr-test b >/dev/null
  run h network ls
  assert_status 0
  assert_eq "NETWORK ID     NAME                DRIVER    SCOPE" "${lines[0]}"
  assert_eq "a b bridge host none" "$(h network ls --format '{{.Name}}' | sort | tr '\n' ' ' | sed 's/ $//')"
  assert_eq "${a:0:12}" "$(h network ls -q --filter name=a --filter type=custom | head -1)"
  assert_eq "b" "$(h network ls --filter label=team=db --format '{{.Name}}')"
  assert_eq "bridge host none" "$(h network ls --filter type=builtin --format '{{.Name}}' | tr '\n' ' ' | sed 's/ $//')"
  assert_eq "10.200.0.0/24 10.200.0.254 10.200.0.128/25 hkbr-test db false bridge local" \
    "$(h network inspect b | jq -r '.[0] | [.IPAM.Config[0].Subnet, .IPAM.Config[0].Gateway, .IPAM.Config[0].IPRange, .Options["com.docker.network.bridge.name"], .Labels.team, .Internal, .Driver, .Scope] | join(" ")')"
  # The chosen subnet overlaps neither the default bridge's nor b's.
  sub=$(h network inspect a | jq -r '.[0].IPAM.Config[0].Subnet')
  assert_match '^10\.(8[7-9]|9[0-9]|1[0-2][0-9])\.0\.0/16$' "$sub"
  [ "$sub" != "$(h network inspect bridge | jq -r '.[0].IPAM.Config[0].Subnet')" ]
  # A container there gets an address of the range, from the gateway's bridge.
  run h run --rm --network b busybox sh -c 'ip -4 -o addr show eth0; ip route; cat /etc/resolv.conf'
  assert_status 0
  assert_match 'inet 10\.200\.0\.(12[89]|1[3-9][0-9]|2[0-9][0-9])/24' "${lines[0]}" "an address of --ip-range"
  assert_match '^default via 10\.200\.0\.254 dev eth0' "${lines[1]}"
  assert_match 'nameserver 10\.200\.0\.254' "$output" "the network's name server"
  assert_match 'inet 10\.200\.0\.254/24' "$(on_host ip -4 -o addr show hkbr-test)"
  run h network rm a b
  assert_status 0
  assert_eq "a b" "$(echo $output)"
  assert_eq "bridge host none" "$(h network ls --format '{{.Name}}' | sort | tr '\n' ' ' | sed 's/ $//')"
  run on_host ip link show hkbr-test
  assert_status 1
}

@test "networks: bad input gets docker's messages and codes, and leaves nothing" {
  h network create --subnet 10.200.0.0/24 b >/dev/null
  run h network create b
  assert_status 1
  assert_eq "husk: network with name b already exists" "$output"
  run h network create --subnet 10.200.0.0/16 c
  assert_status 1
  assert_match 'Pool overlaps with other one on this address space' "$output"
  run h network create --subnet 10.201.0.0/24 --gateway 10.202.0.1 c
  assert_status 1
  assert_match 'gateway 10.202.0.1 is not a host address of the subnet 10.201.0.0/24' "$output"
  run h network create --subnet 10.201.0.1/24 c
  assert_status 1
  assert_match 'invalid subnet' "$output"
  run h network create --ip-range 10.0.0.0/24 c
  assert_status 1
  run h network create 'bad name' 
  assert_status 1
  assert_match 'invalid network name' "$output"
  run h network rm bridge
  assert_status 1
  assert_eq "husk: bridge is a pre-defined network and cannot be removed" "$output"
  run h network rm nosuch
  assert_status 1
  assert_eq "husk: network nosuch not found" "$output"
  run h network inspect nosuch
  assert_status 1
  # run: an address outside the subnet, an address on the default bridge, an
  # alias there, a bad MAC, an unknown network: 125, no container left.
  run h run --rm --network b --ip 10.9.9.9 busybox true
  assert_status 125
  assert_match 'Invalid address 10.9.9.9: It does not belong to any of this network' "$output"
  run h run --rm --network bridge --ip 10.87.0.9 busybox true
  assert_status 125
  assert_match 'user specified IP address is supported on user defined networks only' "$output"
  run h run --rm --network bridge --network-alias x busybox true
  assert_status 125
  assert_match 'network-scoped alias is supported only for containers in user defined networks' "$output"
  run h run --rm --network b --mac-address 01:00:5e:00:00:01 busybox true
  assert_status 125
  assert_match 'invalid MAC address' "$output"
  run h run --rm --network nosuch busybox true
  assert_status 125
  assert_eq "" "$(ls -A "$R/containers")"
  # Two at once cannot get the same --ip.
  h run -d --name one --network b --ip 10.200.0.9 busybox sleep 60 >/dev/null
  run h run --rm --network b --ip 10.200.0.9 busybox true
  assert_status 125
  assert_match '10.200.0.9' "$output"
  h rm -f one >/dev/null
  # A network in use is kept.
  h run -d --name two --network b busybox sleep 60 >/dev/null
  run h network rm b
  assert_status 1
  assert_match 'error while removing network: network b id [0-9a-f]{64} has active endpoints' "$output"
  h rm -f two >/dev/null
  h network rm b >/dev/null
}

@test "networks: containers resolve each other by name, alias and short id; a replaced one's new address; other names are forwarded" {
  with_upstream
  hc network create n >/dev/null
  id=$(hc run -d --name web --network n --network-alias www busybox \
    sh -c 'echo hello >/tmp/i.html; exec httpd -f -p 80 -h /tmp')
  ip=$(h inspect -f '{{.NetworkSettings.Networks.n.IPAddress}}' web)
  assert_match '^10\.[0-9]+\.0\.[0-9]+$' "$ip"
  assert_eq "$ip" "$(resolve n web)" "by name"
  assert_eq "$ip" "$(resolve n www)" "by alias"
  assert_eq "$ip" "$(resolve n "${id:0:12}")" "by short id"
  run hc run --rm --network n busybox wget -q -O - http://web/i.html
  assert_status 0
  assert_eq hello "$output" "reached by name"
  # Forwarded: a name the upstream knows.
  run hc run --rm --network n busybox nslookup -type=a example.test
  assert_status 0
  assert_match 'Address: 192\.0\.2\.80' "$output"
  # One name server for the network, however many containers.
  assert_eq 1 "$(name_servers | wc -l)"
  # Replaced: the same name now answers with the new container's address.
  h rm -f web >/dev/null
  h run -d --name other --network n busybox sleep 60 >/dev/null
  h run -d --name web --network n busybox sleep 60 >/dev/null
  ip2=$(h inspect -f '{{.NetworkSettings.Networks.n.IPAddress}}' web)
  [ "$ip2" != "$ip" ]
  assert_eq "$ip2" "$(resolve n web)" "the new web"
  alias_gone() { [ -z "$(resolve n www)" ]; }
  wait_for 3 alias_gone
  # The default bridge has no names (as docker's).
  h run -d --name onbridge --network bridge busybox sleep 60 >/dev/null
  run h run --rm --network bridge busybox nslookup onbridge
  assert_status 1
  h rm -f web other onbridge >/dev/null
  wait_for 5 no_name_servers
}

@test "networks: isolated from each other; --internal has no way out but its members meet" {
  make_outside
  h network create x >/dev/null
  h network create y >/dev/null
  h network create --internal in >/dev/null
  h run -d --name on-x --network x busybox sleep 60 >/dev/null
  h run -d --name in1 --network in busybox sleep 60 >/dev/null
  x_ip=$(h inspect -f '{{.NetworkSettings.Networks.x.IPAddress}}' on-x)
  in_ip=$(h inspect -f '{{.NetworkSettings.Networks.in.IPAddress}}' in1)
  run h run --rm --network x busybox ping -c1 -W1 "$x_ip"
  assert_status 0
  run h run --rm --network y busybox ping -c1 -W1 "$x_ip"
  assert_status 1
  run h run --rm --network bridge busybox ping -c1 -W1 "$x_ip"
  assert_status 1
  # Outside is reachable from x, not from the internal network, whose
  # members still reach each other.
  run h run --rm --network x busybox ping -c1 -W1 192.0.2.254
  assert_status 0
  run h run --rm --network in busybox sh -c 'ip route; ping -c1 -W1 192.0.2.254'
  assert_status 1
  [[ "$output" != *default* ]]
  run h run --rm --network in busybox ping -c1 -W1 "$in_ip"
  assert_status 0
  h rm -f on-x in1 >/dev/null
}

@test "networks: --ip, --mac-address, several networks, and connect/disconnect of a running container" {
  h network create --subnet 10.210.0.0/24 p >/dev/null
  h network create --subnet 10.211.0.0/24 q >/dev/null
  run h run --rm --network p --ip 10.210.0.50 --mac-address 02:aa:bb:cc:dd:ee --network q busybox \
    sh -c 'ip -4 -o addr show eth0; ip -4 -o addr show eth1; cat /sys/class/net/eth0/address; ip route | grep default'
  assert_status 0
  assert_match 'eth0 +inet 10\.210\.0\.50/24' "${lines[0]}"
  assert_match 'eth1 +inet 10\.211\.0\.[0-9]+/24' "${lines[1]}"
  assert_eq 02:aa:bb:cc:dd:ee "${lines[2]}"
  assert_match 'default via 10\.210\.0\.1 dev eth0' "${lines[3]}" "one default route, the first network's"
  h run -d --name cc --network p busybox sleep 60 >/dev/null
  h run -d --name peer --network q busybox sleep 60 >/dev/null
  h network connect --alias cq --ip 10.211.0.77 q cc
  run h exec cc ip -4 -o addr show eth1
  assert_match 'inet 10\.211\.0\.77/24' "$output"
  assert_eq "10.211.0.77 [cq $(h inspect -f '{{.Id}}' cc | cut -c1-12)]" \
    "$(h inspect -f '{{.NetworkSettings.Networks.q.IPAddress}} {{.NetworkSettings.Networks.q.Aliases}}' cc)"
  assert_eq "10.211.0.77" "$(h exec peer nslookup cq | awk '/^Address: / { print $2; exit }')" "the alias resolves"
  assert_eq "cc peer" "$(h network inspect -f '{{json .Containers}}' q | jq -r '[.[].Name] | sort | join(" ")')"
  run h network connect q cc
  assert_status 1
  assert_match 'already exists in network q' "$output"
  h network disconnect q cc
  run h exec cc ip -4 -o addr show eth1
  assert_status 1
  # (dnsmasq follows its hosts files by inotify: a few ms, bounded here.)
  cq_gone() { [ -z "$(h exec peer nslookup cq | awk '/^Address: / { print $2; exit }')" ]; }
  wait_for 3 cq_gone
  run h network disconnect q cc
  assert_status 1
  assert_match 'is not connected to network q' "$output"
  # Kept in the record: connected while stopped, there at the next start.
  h stop -t 0 cc >/dev/null
  h network connect q cc
  h start cc >/dev/null
  assert_match 'inet 10\.211\.0\.[0-9]+/24' "$(h exec cc ip -4 -o addr show eth1)"
  h rm -f cc peer >/dev/null
}

@test "networks: on several networks a container resolves each one's names (its own name server at 127.0.0.11); connect, disconnect and rename follow at once" {
  with_upstream
  h network create --subnet 10.212.0.0/24 ra >/dev/null
  h network create --subnet 10.213.0.0/24 rb >/dev/null
  h network create --subnet 10.214.0.0/24 rc >/dev/null
  hc run -d --name on-a --network ra busybox sleep 60 >/dev/null
  hc run -d --name on-b --network rb busybox sleep 60 >/dev/null
  hc run -d --name on-c --network rc busybox sleep 60 >/dev/null
  a_ip=$(h inspect -f '{{.NetworkSettings.Networks.ra.IPAddress}}' on-a)
  b_ip=$(h inspect -f '{{.NetworkSettings.Networks.rb.IPAddress}}' on-b)
  # On ra and rb: the names of both, not rc's; other names forwarded.
  run hc run --rm --network ra --network rb busybox sh -c \
    'cat /etc/resolv.conf; nslookup on-a; nslookup on-b; nslookup on-c; nslookup -type=a example.test'
  assert_match 'nameserver 127\.0\.0\.11' "$output"
  assert_match "Address: $a_ip" "$output" "ra's name"
  assert_match "Address: $b_ip" "$output" "rb's name"
  assert_match "Address: 192\.0\.2\.80" "$output" "forwarded"
  [[ "$output" != *"Address: 10.214."* ]] || { echo "rc's name resolved" >&2; return 1; }
  assert_eq 3 "$(name_servers | wc -l)" "its own server went with it"
  # On ra only: rb's names are not its.
  assert_eq "" "$(resolve ra on-b)"
  # Connected while running: it asks its own server from then on.
  hc run -d --name both --network ra busybox sleep 60 >/dev/null
  look() { h exec both nslookup "$1" | awk '/^Address: / { print $2; exit }'; }
  assert_eq "" "$(look on-b)"
  hc network connect rb both
  assert_match 'nameserver 127\.0\.0\.11' "$(h exec both cat /etc/resolv.conf)"
  assert_eq "$b_ip" "$(look on-b)" "rb's name after connect"
  assert_eq "$a_ip" "$(look on-a)" "ra's still"
  assert_eq 4 "$(name_servers | wc -l)"
  # Renamed while running: the new name answers at once, the old one not.
  h rename on-b renamed-b
  # (its hosts file replaced: dnsmasq reads it by inotify, a few ms.)
  renamed() { [ "$(look renamed-b)" = "$b_ip" ] && [ -z "$(look on-b)" ]; }
  wait_for 3 renamed
  assert_eq "$b_ip" "$(resolve rb renamed-b)" "on rb's own server too"
  # Disconnected: back to ra's server; rb's names gone, its own server too.
  h network disconnect rb both
  assert_match 'nameserver 10\.212\.0\.1$' "$(h exec both cat /etc/resolv.conf)"
  assert_eq "" "$(look renamed-b)"
  assert_eq "$a_ip" "$(look on-a)"
  assert_eq 3 "$(name_servers | wc -l)"
  h rm -f on-a renamed-b on-c both >/dev/null
  wait_for 5 no_name_servers
}

@test "networks: prune removes the unused ones with their bridges, rules and name servers" {
  h network create used >/dev/null
  h network create --subnet 10.220.0.0/24 -o com.docker.network.bridge.name=hkbr-unused unused >/dev/null
  h run -d --name uu --network used busybox sleep 60 >/dev/null
  h run --rm --network unused busybox true
  on_host ip link show hkbr-unused >/dev/null
  run h network prune -f
  assert_status 0
  assert_eq "Deleted Networks: unused" "$(echo $output)"
  run on_host ip link show hkbr-unused
  assert_status 1
  run on_host nft list set ip husk subnets
  [[ "$output" != *10.220.0.0/24* ]]
  assert_eq "used" "$(h network ls --filter type=custom --format '{{.Name}}')"
  h rm -f uu >/dev/null
  h network prune -f >/dev/null
  assert_eq "" "$(h network ls --filter type=custom --format '{{.Name}}')"
  assert_eq "" "$(ls -A "$RUNROOT/.net/dns" 2>/dev/null)"
}
