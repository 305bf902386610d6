# shellcheck shell=bash
# A real registry for the tests: Debian's docker-registry (the CNCF
# distribution registry) on 127.0.0.1, on a free port, with its storage in a
# temporary directory.
#
#   registry_start DIR [htpasswd-file]   start one; sets REGISTRY (host:port) and REGISTRY_PID
#   registry_stop                        stop it (its storage goes with DIR)
#   registry_htpasswd FILE USER PASS     a bcrypt htpasswd file, as the registry wants
#   registry_token_server DIR USER PASS [DENIED-REPO...]
#                                        a docker token server (python3): sets TOKEN_REALM, TOKEN_PID
#   registry_token_server_stop           stop it
#   REGISTRY_TOKEN_AUTH=DIR registry_start ...
#                                        a registry that wants that server's tokens
#   registry_oci_layout DIR KIND         build an OCI layout by hand (python3): see below

registry_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

registry_htpasswd() {
  local file=$1 user=$2 pass=$3
  python3 - "$file" "$user" "$pass" <<'PY'
import crypt, sys
f, u, p = sys.argv[1:4]
h = crypt.crypt(p, crypt.mksalt(crypt.METHOD_BLOWFISH))
open(f, "w").write(f"{u}:{h}\n")
PY
}

# registry_tls_cert DIR: a self-signed certificate for 127.0.0.1 (DIR/cert.pem, DIR/key.pem).
registry_tls_cert() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1
}

# REGISTRY_TLS=DIR before registry_start: serve https with DIR/cert.pem and DIR/key.pem.
registry_start() {
  local dir=$1 htpasswd=${2:-} port tries scheme=http
  command -v docker-registry >/dev/null || husk_die "docker-registry is not installed (scripts/install-deps.sh)"
  [ -z "${REGISTRY_TOKEN_AUTH:-}" ] || [ -n "${TOKEN_REALM:-}" ] || husk_die "REGISTRY_TOKEN_AUTH without registry_token_server"
  mkdir -p "$dir/data"
  port=$(registry_free_port)
  {
    echo "version: 0.1"
    # The access log (on stdout, in registry.log) lets tests count requests.
    echo "log: {level: error, accesslog: {disabled: false}}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $dir/data}"
    echo "  delete: {enabled: true}"
    if [ -n "${REGISTRY_TLS:-}" ]; then
      echo "http: {addr: 127.0.0.1:$port, tls: {certificate: $REGISTRY_TLS/cert.pem, key: $REGISTRY_TLS/key.pem}}"
    else
      echo "http: {addr: 127.0.0.1:$port}"
    fi
    if [ -n "$htpasswd" ]; then
      echo "auth:"
      echo "  htpasswd: {realm: husk-test, path: $htpasswd}"
    elif [ -n "${REGISTRY_TOKEN_AUTH:-}" ]; then
      echo "auth:"
      echo "  token: {realm: \"$TOKEN_REALM\", service: husk-test, issuer: husk-test-issuer, rootcertbundle: $REGISTRY_TOKEN_AUTH/cert.pem}"
    fi
  } >"$dir/config.yml"
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  REGISTRY_PID=$!
  REGISTRY=127.0.0.1:$port
  for tries in $(seq 100); do
    [ -z "${REGISTRY_TLS:-}" ] || scheme=https
    if curl -sk -o /dev/null "$scheme://$REGISTRY/v2/"; then
      export REGISTRY REGISTRY_PID
      return 0
    fi
    sleep 0.05
  done
  cat "$dir/registry.log" >&2
  husk_die "docker-registry did not start on $REGISTRY"
}

registry_stop() {
  [ -n "${REGISTRY_PID:-}" ] || return 0
  kill "$REGISTRY_PID" 2>/dev/null || true
  wait "$REGISTRY_PID" 2>/dev/null || true
  REGISTRY_PID=
}

# registry_token_server DIR USER PASS [DENIED-REPO...]: the token server of
# docker's bearer-token auth (distribution's "auth: token:"), python3 on
# 127.0.0.1 on a free port. DIR gets the signing key and its self-signed
# certificate (key.pem, cert.pem: the registry's rootcertbundle), and
# token.log, a line per token: "granted USER repository:NAME:ACTIONS"
# (actions sorted; "(no scope)" for a token without one) or "refused SCOPES".
# GET /token?service=S&scope=repository:NAME:ACTIONS (scope may repeat or be
# absent) with USER:PASS as basic credentials gets a JWT granting pull and
# push of every repository except the DENIED ones (empty actions); other
# credentials or none get 401. The JWT: RS256 (openssl dgst), the
# certificate in its x5c header, iss husk-test-issuer, aud the service.
# Sets TOKEN_REALM (http://127.0.0.1:PORT/token) and TOKEN_PID.
registry_token_server() {
  local dir=$1 user=$2 pass=$3 _
  shift 3
  mkdir -p "$dir"
  rm -f "$dir/token.port"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=husk-token" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 || husk_die "openssl could not make the token certificate"
  cat >"$dir/token_server.py" <<'PY'
import base64, http.server, json, os, secrets, subprocess, sys, time, urllib.parse
d, user, password = sys.argv[1:4]
denied = set(sys.argv[4:])
ISSUER = "husk-test-issuer"
# x5c: the certificate's DER in standard base64 (the PEM body).
der_b64 = "".join(l for l in open(f"{d}/cert.pem").read().splitlines() if l and not l.startswith("-----"))
def b64url(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def sign(data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{d}/key.pem"], input=data,
                          capture_output=True, check=True).stdout
def log(line):
    with open(f"{d}/token.log", "a") as f: f.write(line + "\n")
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path != "/token": return self.reply(404, {"details": "not found"})
        q = urllib.parse.parse_qs(u.query)
        scopes = q.get("scope", [])
        auth = self.headers.get("Authorization", "")
        ok = False
        if auth[:6].lower() == "basic ":
            try: ok = base64.b64decode(auth[6:].strip()).decode() == f"{user}:{password}"
            except Exception: ok = False
        if not ok:
            log("refused " + " ".join(scopes))
            return self.reply(401, {"details": "incorrect username or password"},
                              [("WWW-Authenticate", 'Basic realm="husk-token"')])
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) != 3 or parts[0] != "repository": continue
            name, wanted = parts[1], parts[2].split(",")
            granted = [] if name in denied else sorted(a for a in set(wanted) if a in ("pull", "push"))
            access.append({"type": "repository", "name": name, "actions": granted})
            log(f"granted {user} repository:{name}:{','.join(granted)}")
        if not scopes: log(f"granted {user} (no scope)")
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [der_b64]}
        claims = {"iss": ISSUER, "sub": user, "aud": q.get("service", [""])[0], "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(16), "access": access}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        token = signing_input + "." + b64url(sign(signing_input.encode()))
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(f"{d}/token.port.tmp", "w") as f: f.write(str(srv.server_address[1]))
os.rename(f"{d}/token.port.tmp", f"{d}/token.port")
srv.serve_forever()
PY
  python3 "$dir/token_server.py" "$dir" "$user" "$pass" "$@" >"$dir/token_server.out" 2>&1 3>&- &
  TOKEN_PID=$!
  for _ in $(seq 100); do
    if [ -s "$dir/token.port" ]; then
      TOKEN_REALM=http://127.0.0.1:$(cat "$dir/token.port")/token
      export TOKEN_REALM TOKEN_PID
      return 0
    fi
    kill -0 "$TOKEN_PID" 2>/dev/null || break
    sleep 0.05
  done
  cat "$dir/token_server.out" >&2
  registry_token_server_stop
  husk_die "the token server did not start"
}

registry_token_server_stop() {
  [ -n "${TOKEN_PID:-}" ] || return 0
  kill "$TOKEN_PID" 2>/dev/null || true
  wait "$TOKEN_PID" 2>/dev/null || true
  TOKEN_PID=
}

# registry_oci_layout DIR KIND: an OCI image layout in DIR, tagged "test".
#   multi     two layers over busybox: the second deletes a/gone (whiteout),
#             makes opq/ opaque (old files hidden), adds a hard link (within
#             the layer, as builders make them) and a
#             setuid file; gzip-compressed
#   arm64     the same one-layer busybox image, but an index naming only linux/arm64
#   twoarch   an index of two: this machine's platform, and linux/386 (the
#             same layer, a config that says 386)
#   badtype   a layer whose media type is not a layer type
#   deep:N    busybox plus N-1 more layers, layer K adding /layers/K
registry_oci_layout() {
  python3 - "$1" "$2" "$HUSK_BUSYBOX" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
out, kind, busybox = sys.argv[1:4]
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
def tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"]); ti.mtime = 1000000000
            ti.mode = e.get("mode", 0o644)
            if e.get("dir"): ti.type = tarfile.DIRTYPE; ti.mode = e.get("mode", 0o755); t.addfile(ti)
            elif "link" in e: ti.type = tarfile.SYMTYPE; ti.linkname = e["link"]; t.addfile(ti)
            elif "hard" in e: ti.type = tarfile.LNKTYPE; ti.linkname = e["hard"]; t.addfile(ti)
            else:
                data = e.get("data", b""); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()
bb = open(busybox, "rb").read()
base = [{"name": "bin", "dir": True}, {"name": "bin/busybox", "data": bb, "mode": 0o755}]
base += [{"name": "bin/" + a, "link": "busybox"} for a in ("sh", "ls", "cat", "stat", "test", "echo")]
base += [{"name": d, "dir": True} for d in ("a", "opq", "proc", "sys", "dev", "tmp", "etc")]
base += [{"name": "a/keep", "data": b"keep\n"}, {"name": "a/gone", "data": b"gone\n"},
         {"name": "opq/old", "data": b"old\n"}, {"name": "etc/passwd", "data": b"root:x:0:0:root:/:/bin/sh\n"}]
layers = [base]
if kind.startswith("deep:"):
    for k in range(1, int(kind.split(":")[1])):
        layers.append([{"name": "layers", "dir": True}, {"name": f"layers/{k}", "data": f"{k}\n".encode()}])
if kind == "multi":
    layers.append([{"name": "a/.wh.gone", "data": b""}, {"name": "opq", "dir": True},
                   {"name": "opq/.wh..wh..opq", "data": b""}, {"name": "opq/new", "data": b"new\n"},
                   {"name": "a/new2", "data": b"two names\n"}, {"name": "a/hard", "hard": "a/new2"},
                   {"name": "a/suid", "data": b"x", "mode": 0o4755}])
descs, diffs = [], []
for entries in layers:
    raw = tar(entries)
    diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
    z = gzip.compress(raw, mtime=0)
    d = blob(z)
    d["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
    if kind == "badtype": d["mediaType"] = "application/vnd.example.not-a-layer"
    descs.append(d)
arch = "arm64" if kind == "arm64" else {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
config = {"architecture": arch, "os": "linux", "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
          "rootfs": {"type": "layers", "diff_ids": diffs},
          "history": [{"created_by": f"layer {i}"} for i in range(len(layers))]}
c = blob(json.dumps(config).encode()); c["mediaType"] = "application/vnd.oci.image.config.v1+json"
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": descs}
m = blob(json.dumps(manifest).encode()); m["mediaType"] = manifest["mediaType"]
top = m
if kind == "arm64":
    m["platform"] = {"architecture": "arm64", "os": "linux"}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [m]}
    top = blob(json.dumps(index).encode()); top["mediaType"] = index["mediaType"]
if kind == "twoarch":
    m["platform"] = {"architecture": arch, "os": "linux"}
    c386 = blob(json.dumps(dict(config, architecture="386")).encode()); c386["mediaType"] = c["mediaType"]
    m386 = blob(json.dumps(dict(manifest, config=c386)).encode()); m386["mediaType"] = manifest["mediaType"]
    m386["platform"] = {"architecture": "386", "os": "linux"}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [m, m386]}
    top = blob(json.dumps(index).encode()); top["mediaType"] = index["mediaType"]
top["annotations"] = {"org.opencontainers.image.ref.name": "test"}
json.dump({"schemaVersion": 2, "manifests": [top]}, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
}

# registry_push_layout DIR REPO:TAG: the layout's blobs and its top manifest
# (or index) as they are, through the registry API (python3). For images
# skopeo would refuse or rewrite (an unknown layer type).
registry_push_layout() {
  python3 - "$1" "$2" "$REGISTRY" <<'PY'
import json, os, sys, urllib.request
layout, ref, reg = sys.argv[1:4]
repo, tag = ref.rsplit(":", 1)
base = f"http://{reg}/v2/{repo}"
def put_blob(d):
    data = open(f"{layout}/blobs/sha256/{d.split(':')[1]}", "rb").read()
    r = urllib.request.urlopen(urllib.request.Request(base + "/blobs/uploads/", method="POST"))
    loc = r.headers["Location"]
    loc = loc if loc.startswith("http") else f"http://{reg}{loc}"
    sep = "&" if "?" in loc else "?"
    urllib.request.urlopen(urllib.request.Request(loc + sep + "digest=" + d, data=data, method="PUT",
                                                  headers={"Content-Type": "application/octet-stream"}))
def put_manifest(desc, ref):
    data = open(f"{layout}/blobs/sha256/{desc['digest'].split(':')[1]}", "rb").read()
    doc = json.loads(data)
    for m in doc.get("manifests", []): put_manifest(m, m["digest"])
    if "config" in doc:
        for d in [doc["config"]] + doc["layers"]: put_blob(d["digest"])
    urllib.request.urlopen(urllib.request.Request(f"{base}/manifests/{ref}", data=data, method="PUT",
                                                  headers={"Content-Type": desc["mediaType"]}))
top = json.load(open(layout + "/index.json"))["manifests"][0]
put_manifest(top, tag)
PY
}
