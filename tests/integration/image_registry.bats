#!/usr/bin/env bats
# Pulls and pushes against a real registry (Debian's docker-registry on
# 127.0.0.1), images put there with skopeo, run with husk-runtime; archives
# that skopeo and podman read and write.

load ../lib/assert.bash
load ../lib/fixtures.bash
load ../lib/registry.bash
load ../lib/image.bash

setup_file() { image_file_setup; }

setup() {
  image_setup husk-imgreg
  registry_start "$T/registry"
}

teardown() {
  registry_stop
  registry_token_server_stop
  [ -z "${FAKE_PID:-}" ] || kill "$FAKE_PID" 2>/dev/null || true
  image_teardown
}

@test "registry: a two-layer image with whiteouts, an opaque dir and a hard link, put there by skopeo, pulled and run" {
  registry_oci_layout "$T/layout" multi
  skopeo copy -q --dest-tls-verify=false "oci:$T/layout:test" "docker://$REGISTRY/multi:v1"
  run hk pull "$REGISTRY/multi:v1"
  assert_status 0
  hk image bundle "$REGISTRY/multi:v1" "$T/b1" sh -c 'ls /a; echo --; ls /opq; echo --; stat -c "%i %a" /a/new2 /a/hard /a/suid'
  run run_bundle "$T/b1"
  assert_status 0
  lines=()
  mapfile -t lines <<<"$output"
  assert_eq "hard keep new2 suid -- new --" "$(echo "${lines[@]:0:7}")" "deleted file absent, opaque dir shows only the new file"
  ino_new2=$(sed -n 8p <<<"$output" | cut -d' ' -f1)
  ino_hard=$(sed -n 9p <<<"$output" | cut -d' ' -f1)
  assert_eq "$ino_new2" "$ino_hard" "hard link inode"
  assert_eq "4755" "$(sed -n 10p <<<"$output" | cut -d' ' -f2)" "setuid mode"
  # What the store holds: overlay's own whiteout and opaque marker.
  lower=$(hk image inspect --format '{{.GraphDriver.Data.LowerDir}}' "$REGISTRY/multi:v1")
  top=${lower%%:*}
  assert_eq "character special file 0,0" "$(stat -c '%F %t,%T' "$top/a/gone")" "whiteout"
  assert_eq "y" "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$top/opq")" "opaque xattr"
  hk image unbundle "$T/b1"
}

@test "registry: husk push, then pull into another store; a second pull fetches nothing" {
  hk image inspect busybox >/dev/null
  run hk push busybox "$REGISTRY/bb:1"
  assert_status 0
  assert_match "digest: sha256:" "$output"
  R2=$T/store2
  run "$HUSK" --root "$R2" pull "$REGISTRY/bb:1"
  assert_status 0
  assert_match "Complete" "$output" "progress lines when not on a terminal"
  a=$(hk image inspect --format '{{json .RootFS.Layers}}' busybox)
  b=$("$HUSK" --root "$R2" image inspect --format '{{json .RootFS.Layers}}' "$REGISTRY/bb:1")
  assert_eq "$a" "$b" "layers after the round trip"
  # The registry's access log: the second pull fetches the manifest and the
  # config again (they say what the image is), never the layer.
  layer=$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/bb:1" | jq -r '.layers[0].digest')
  before=$(grep -c "GET /v2/bb/blobs/$layer" "$T/registry/registry.log" || true)
  assert_eq 1 "$before" "layer GETs after the first pull"
  run "$HUSK" --root "$R2" pull "$REGISTRY/bb:1"
  assert_status 0
  assert_match "Already exists" "$output"
  assert_eq 1 "$(grep -c "GET /v2/bb/blobs/$layer" "$T/registry/registry.log" || true)" "layer GETs after the second pull"
  R=$R2 hk image bundle "$REGISTRY/bb:1" "$T/b2" echo pulled
  run run_bundle "$T/b2"
  assert_eq "pulled" "$output"
  R=$R2 hk image unbundle "$T/b2"
}

@test "registry: pull by digest, and a manifest list picks this machine's platform or says which it has" {
  registry_oci_layout "$T/layout" multi
  skopeo copy -q --dest-tls-verify=false "oci:$T/layout:test" "docker://$REGISTRY/multi:v1"
  digest=$(skopeo inspect --tls-verify=false "docker://$REGISTRY/multi:v1" | jq -r .Digest)
  run hk pull "$REGISTRY/multi@$digest"
  assert_status 0
  run hk image inspect --format '{{json .RepoDigests}}' "$REGISTRY/multi@$digest"
  assert_status 0
  assert_match "$digest" "$output"
  # Docker's v2 schema 2 manifest, as skopeo writes it with --format v2s2.
  skopeo copy -q --format v2s2 --dest-tls-verify=false "oci:$T/layout:test" "docker://$REGISTRY/v2s2:v1"
  run hk pull "$REGISTRY/v2s2:v1"
  assert_status 0
  assert_eq "application/vnd.docker.distribution.manifest.v2+json" \
    "$(hk image inspect --format '{{.Manifest.MediaType}}' "$REGISTRY/v2s2:v1")" "manifest media type"
  hk image bundle "$REGISTRY/v2s2:v1" "$T/b1" cat /opq/new
  run run_bundle "$T/b1"
  assert_eq "new" "$output" "a docker schema 2 image runs"
  hk image unbundle "$T/b1"
  # Saved as an OCI layout, its manifest becomes an OCI one that skopeo reads.
  hk image save --format oci-dir -o "$T/v2s2-oci" "$REGISTRY/v2s2:v1"
  run skopeo inspect --raw "oci:$T/v2s2-oci"
  assert_status 0
  assert_eq "application/vnd.oci.image.manifest.v1+json" "$(jq -r .mediaType <<<"$output")" "converted manifest"
  registry_oci_layout "$T/arm" arm64
  registry_push_layout "$T/arm" armonly:v1
  R=$T/store-arm
  run hk pull "$REGISTRY/armonly:v1"
  assert_status 1
  assert_match 'linux/arm64' "$output" "the platforms the index has"
  assert_store_empty "a pull for another platform"
}

@test "registry: bad pulls fail clearly and leave nothing: unknown tag, unknown media type, corrupt blob, digest mismatch" {
  run hk pull "$REGISTRY/nothing:here"
  assert_status 1
  assert_match 'manifest unknown' "$output"
  registry_oci_layout "$T/bad" badtype
  registry_push_layout "$T/bad" badtype:v1
  run hk pull "$REGISTRY/badtype:v1"
  assert_status 1
  assert_match 'unsupported media type' "$output"
  assert_store_empty "an unknown layer media type"
  # A layer blob corrupted in the registry's storage: its digest no longer matches.
  registry_oci_layout "$T/layout" multi
  skopeo copy -q --dest-tls-verify=false "oci:$T/layout:test" "docker://$REGISTRY/multi:v1"
  big=$(find "$T/registry/data" -path '*blobs/sha256/*/data' -size +100k | head -1)
  printf 'garbage' | dd of="$big" bs=1 seek=100 conv=notrunc 2>/dev/null
  run hk pull "$REGISTRY/multi:v1"
  assert_status 1
  assert_match 'digest mismatch|corrupt|size mismatch' "$output"
  assert_store_whole "a corrupt blob"
  # A truncated blob: the registry serves fewer bytes than the manifest says.
  truncate -s -1000 "$big"
  R=$T/store-trunc
  run hk pull "$REGISTRY/multi:v1"
  assert_status 1
  assert_match 'size mismatch|digest mismatch|truncated' "$output"
  assert_store_whole "a truncated blob"
  R=$T/store
  run hk image ls -q
  assert_eq "" "$output" "no image named"
  hk image prune >/dev/null
  assert_store_empty "prune after a failed pull"
}

@test "registry: 401 without credentials, login keeps them in a 0600 file, then pull works; logout forgets" {
  registry_stop
  registry_htpasswd "$T/htpasswd" tester s3cret
  registry_start "$T/registry" "$T/htpasswd"
  auth=$T/auth.json
  run hk push --authfile "$auth" busybox "$REGISTRY/private:1"
  assert_status 1
  assert_match 'unauthorized' "$output"
  run hk login --authfile "$auth" -u tester -p wrong "$REGISTRY"
  assert_status 1
  assert_match 'unauthorized' "$output"
  [ ! -e "$auth" ]
  echo s3cret | hk login --authfile "$auth" -u tester --password-stdin "$REGISTRY"
  assert_eq 600 "$(stat -c %a "$auth")" "auth file mode"
  run hk push --authfile "$auth" busybox "$REGISTRY/private:1"
  assert_status 0
  run "$HUSK" --root "$T/store2" pull --authfile "$auth" "$REGISTRY/private:1"
  assert_status 0
  run hk logout --authfile "$auth" "$REGISTRY"
  assert_status 0
  run "$HUSK" --root "$T/store3" pull --authfile "$auth" "$REGISTRY/private:1"
  assert_status 1
  assert_match 'unauthorized' "$output"
}

@test "registry: a registry that answers 500 or hangs gives a clear error and leaves nothing" {
  port=$(registry_free_port)
  cat >"$T/fake.py" <<'PY'
import http.server, sys, time
mode = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if mode == "hang":
            time.sleep(600)
        self.send_response(500); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(b'{"errors":[{"code":"UNKNOWN","message":"the disk is on fire"}]}')
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
  python3 "$T/fake.py" "$port" 500 &
  FAKE_PID=$!
  wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/"
  run hk pull "127.0.0.1:$port/x:1"
  assert_status 1
  assert_match '500' "$output"
  assert_match 'the disk is on fire' "$output"
  kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true
  python3 "$T/fake.py" "$port" hang &
  FAKE_PID=$!
  wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
  start=$SECONDS
  HUSK_REGISTRY_TIMEOUT=2 run hk pull "127.0.0.1:$port/x:1"
  assert_status 1
  assert_match 'did not answer|timed out' "$output"
  [ $((SECONDS - start)) -lt 20 ] || { echo "the stalled pull took $((SECONDS - start)) s" >&2; false; }
  assert_store_empty "a registry that hangs"
}

@test "registry: save for skopeo and podman, load what skopeo made; names and layers survive both ways" {
  registry_oci_layout "$T/layout" multi
  skopeo copy -q --dest-tls-verify=false "oci:$T/layout:test" "docker://$REGISTRY/multi:v1"
  hk pull -q "$REGISTRY/multi:v1"
  want=$(hk image inspect --format '{{json .RootFS.Layers}}' "$REGISTRY/multi:v1")
  # husk save (docker-archive) -> skopeo reads it.
  hk image save -o "$T/saved.tar" "$REGISTRY/multi:v1"
  run skopeo inspect "docker-archive:$T/saved.tar"
  assert_status 0
  # A docker archive's layers are plain tars: their digests are the diff ids.
  assert_eq "$want" "$(jq -c .Layers <<<"$output")" "layers skopeo sees in husk's docker archive"
  skopeo copy -q "docker-archive:$T/saved.tar" "oci:$T/from-husk:t"
  # oci-archive and oci-dir: skopeo reads them too.
  hk image save --format oci-archive -o "$T/saved-oci.tar" "$REGISTRY/multi:v1"
  run skopeo inspect --raw "oci-archive:$T/saved-oci.tar"
  assert_status 0
  hk image save --format oci-dir -o "$T/saved-oci" "$REGISTRY/multi:v1"
  run skopeo inspect "oci:$T/saved-oci"
  assert_status 0
  # podman loads husk's docker archive into its own storage.
  run podman --root "$T/podman" --runroot "$T/podman-run" --storage-driver vfs load -i "$T/saved.tar"
  assert_status 0
  assert_match "$REGISTRY/multi:v1" "$output"
  run podman --root "$T/podman" --runroot "$T/podman-run" --storage-driver vfs image inspect --format '{{json .RootFS.Layers}}' "$REGISTRY/multi:v1"
  assert_status 0
  assert_eq "$want" "$output" "podman's layers"
  podman --root "$T/podman" --runroot "$T/podman-run" --storage-driver vfs rmi -a -f >/dev/null 2>&1 || true
  # skopeo -> docker-archive and OCI layout -> husk load, into fresh stores.
  skopeo copy -q "oci:$T/layout:test" "docker-archive:$T/skopeo.tar:example.com/from/skopeo:1"
  run "$HUSK" --root "$T/s2" image load -i "$T/skopeo.tar"
  assert_status 0
  assert_match "Loaded image: example.com/from/skopeo:1" "$output"
  assert_eq "$want" "$("$HUSK" --root "$T/s2" image inspect --format '{{json .RootFS.Layers}}' example.com/from/skopeo:1)" "layers loaded from skopeo's docker archive"
  skopeo copy -q "oci:$T/layout:test" "oci-archive:$T/skopeo-oci.tar:example.com/from/oci:2"
  run "$HUSK" --root "$T/s3" image load -i "$T/skopeo-oci.tar"
  assert_status 0
  assert_eq "$want" "$("$HUSK" --root "$T/s3" image inspect --format '{{json .RootFS.Layers}}' "$(jq -r '.[0].Names[0]' <<<"$("$HUSK" --root "$T/s3" image ls --format json)")")" "layers loaded from skopeo's OCI archive"
  # podman's own saves (docker-archive and oci-archive) load into husk.
  P="podman --root $T/podman --runroot $T/podman-run --storage-driver vfs"
  $P pull -q --tls-verify=false "$REGISTRY/multi:v1" >/dev/null
  $P save -q --format docker-archive -o "$T/podman-docker.tar" "$REGISTRY/multi:v1"
  $P save -q --format oci-archive -o "$T/podman-oci.tar" "$REGISTRY/multi:v1"
  $P rmi -a -f >/dev/null 2>&1 || true
  run "$HUSK" --root "$T/s4" image load -i "$T/podman-docker.tar"
  assert_status 0
  assert_eq "$want" "$("$HUSK" --root "$T/s4" image inspect --format '{{json .RootFS.Layers}}' "$REGISTRY/multi:v1")" "layers from podman's docker archive"
  run "$HUSK" --root "$T/s5" image load -i "$T/podman-oci.tar"
  assert_status 0
  assert_eq "$want" "$("$HUSK" --root "$T/s5" image inspect --format '{{json .RootFS.Layers}}' "$(jq -r '.[0].Id' <<<"$("$HUSK" --root "$T/s5" image ls --format json)")")" "layers from podman's OCI archive"
  # And what husk loaded runs.
  "$HUSK" --root "$T/s2" image bundle example.com/from/skopeo:1 "$T/b3" cat /opq/new
  run run_bundle "$T/b3"
  assert_eq "new" "$output"
  "$HUSK" --root "$T/s2" image unbundle "$T/b3"
}

@test "registry: pulls racing each other and an rm of the same image leave a whole store" {
  registry_oci_layout "$T/layout" multi
  skopeo copy -q --dest-tls-verify=false "oci:$T/layout:test" "docker://$REGISTRY/multi:v1"
  for round in 1 2 3; do
    pids=()
    for i in 1 2 3; do
      "$HUSK" --root "$R" pull -q "$REGISTRY/multi:v1" >"$T/pull.$round.$i" 2>&1 &
      pids+=($!)
    done
    "$HUSK" --root "$R" image rm "$REGISTRY/multi:v1" >/dev/null 2>&1 || true
    for p in "${pids[@]}"; do
      wait "$p" || { cat "$T"/pull."$round".* >&2; false; }
    done
    assert_store_whole "round $round"
    # Whatever the order, the image is either gone or complete and runnable.
    if hk image inspect "$REGISTRY/multi:v1" >/dev/null 2>&1; then
      hk image bundle "$REGISTRY/multi:v1" "$T/b$round" cat /opq/new
      run run_bundle "$T/b$round"
      assert_eq "new" "$output" "round $round"
      hk image unbundle "$T/b$round"
    fi
  done
  # Whichever won the last round, one more pull leaves one copy of each layer.
  hk pull -q "$REGISTRY/multi:v1" >/dev/null
  assert_store_whole "a last pull"
  assert_eq 2 "$(ls "$R/layers" | wc -l)" "one copy of each layer"
  assert_eq 2 "$(ls "$R/l" | wc -l)" "one short link for each layer"
}

@test "registry: on a terminal, pull shows each layer's bytes and rate" {
  registry_oci_layout "$T/layout" multi
  skopeo copy -q --dest-tls-verify=false "oci:$T/layout:test" "docker://$REGISTRY/multi:v1"
  run husk_with_pty "$HUSK" --root "$R" pull "$REGISTRY/multi:v1"
  assert_status 0
  assert_match $'\e\\[2K' "$output" "lines redrawn in place"
  assert_match '[0-9.]+MB/[0-9.]+MB +[0-9.]+MB/s' "$output" "bytes and rate"
}

@test "registry: a registry that speaks only TLS is pushed to and pulled from over https" {
  # As docker, 127.0.0.0/8 is an insecure registry: https first, its
  # certificate not checked (a self-signed one here), plain http only when
  # https cannot connect. Certificate checks for other hosts are not
  # testable with a registry on 127.0.0.1 alone.
  registry_stop
  mkdir -p "$T/tls"
  registry_tls_cert "$T/tls"
  REGISTRY_TLS=$T/tls registry_start "$T/registry"
  run curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/"
  assert_eq 400 "$output" "plain http to the TLS registry"
  hk image inspect busybox >/dev/null
  run hk push busybox "$REGISTRY/tls:1"
  assert_status 0
  run "$HUSK" --root "$T/store2" pull "$REGISTRY/tls:1"
  assert_status 0
  curl -sfk -o /dev/null "https://$REGISTRY/v2/tls/manifests/1" -H 'Accept: application/vnd.oci.image.manifest.v1+json'
  R=$T/store2 hk image bundle "$REGISTRY/tls:1" "$T/b1" echo over tls
  run run_bundle "$T/b1"
  assert_eq "over tls" "$output"
  R=$T/store2 hk image unbundle "$T/b1"
}

@test "registry: bearer tokens from a token server: refused without or with wrong credentials, scoped tokens push and pull, another repository stays shut" {
  # distribution's "auth: token:": the registry answers 401 with a Bearer
  # challenge and takes only JWTs signed by the key of DIR/cert.pem. The
  # token server grants pull and push to tester, nothing for "secret".
  registry_stop
  registry_token_server "$T/token" tester s3cret secret
  REGISTRY_TOKEN_AUTH=$T/token registry_start "$T/registry"
  tlog=$T/token/token.log
  run curl -s -o /dev/null -D - "http://$REGISTRY/v2/"
  assert_match "HTTP/1.1 401" "$output" "the registry without a token"
  assert_match "Www-Authenticate: Bearer realm=\"$TOKEN_REALM\",service=\"husk-test\"" "$output" "the challenge"
  auth=$T/auth.json
  hk image inspect busybox >/dev/null
  run hk push --authfile "$auth" busybox "$REGISTRY/tok:1"
  assert_status 1
  assert_match "unauthorized: the token server $TOKEN_REALM refused access" "$output"
  assert_match '^refused repository:tok:pull' "$(cat "$tlog")" "the token server saw no credentials"
  run hk login --authfile "$auth" -u tester -p wrong "$REGISTRY"
  assert_status 1
  assert_match 'unauthorized' "$output"
  [ ! -e "$auth" ]
  run hk login --authfile "$auth" -u tester --password-stdin "$REGISTRY" <<<s3cret
  assert_status 0
  assert_match 'Login Succeeded' "$output"
  assert_eq 1 "$(grep -cx 'granted tester (no scope)' "$tlog")" "tokens for login"
  run hk push --authfile "$auth" busybox "$REGISTRY/tok:1"
  assert_status 0
  assert_match 'digest: sha256:' "$output"
  grep -qx 'granted tester repository:tok:pull,push' "$tlog" || { cat "$tlog" >&2; false; }
  pulls=$(grep -cx 'granted tester repository:tok:pull' "$tlog" || true)
  run "$HUSK" --root "$T/store2" pull --authfile "$auth" "$REGISTRY/tok:1"
  assert_status 0
  [ "$(grep -cx 'granted tester repository:tok:pull' "$tlog")" -gt "$pulls" ] || { cat "$tlog" >&2; false; }
  assert_eq "$(hk image inspect --format '{{json .RootFS.Layers}}' busybox)" \
    "$("$HUSK" --root "$T/store2" image inspect --format '{{json .RootFS.Layers}}' "$REGISTRY/tok:1")" "layers after the round trip"
  # A token is for its repository only: tok's pull token lists tok's tags
  # but not those of secret, which holds the same image (a copy of tok's
  # repository in the registry's storage).
  repos=$T/registry/data/docker/registry/v2/repositories
  cp -a "$repos/tok" "$repos/secret"
  tok_token=$(curl -sf -u tester:s3cret "$TOKEN_REALM?service=husk-test&scope=repository:tok:pull" | jq -r .token)
  run curl -s -H "Authorization: Bearer $tok_token" "http://$REGISTRY/v2/tok/tags/list"
  assert_eq '{"name":"tok","tags":["1"]}' "$output" "tok's tags with tok's token"
  run curl -s -o /dev/null -D - -H "Authorization: Bearer $tok_token" "http://$REGISTRY/v2/secret/tags/list"
  assert_match "HTTP/1.1 401" "$output" "secret's tags with tok's token"
  assert_match 'error="insufficient_scope"' "$output"
  # husk asks for a token for secret, gets one granting nothing, and the
  # registry still says 401.
  R=$T/store3
  run hk pull --authfile "$auth" "$REGISTRY/secret:1"
  assert_status 1
  assert_match "unauthorized: authentication required for $REGISTRY/secret:1 \\(the registry refused the credentials of tester\\)" "$output"
  grep -qx 'granted tester repository:secret:' "$tlog" || { cat "$tlog" >&2; false; }
  assert_store_empty "a pull the token does not allow"
}
