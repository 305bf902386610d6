// image/registry: the distribution client against Debian's real
// docker-registry (the CNCF distribution registry), plus small python3 fakes
// for what a real registry will not do on demand (bearer tokens, 500s,
// silence), and the credentials file.
#include "image/credentials.hpp"
#include "image/registry.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "base/file.hpp"
#include "test_helpers.hpp"

namespace husk::image {
namespace {

using husk::testing::FailsWith;
using husk::testing::get_file;
using husk::testing::put_file;
using husk::testing::TempDir;
using json = nlohmann::json;

constexpr const char* kRegistryBinary = "/usr/bin/docker-registry";
constexpr const char* kPython = "/usr/bin/python3";

// A child process (a registry, a fake) killed and reaped on scope exit.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log_path) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(log);
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool exited() { return pid_ <= 0 || ::waitpid(pid_, nullptr, WNOHANG) == pid_; }

 private:
  pid_t pid_ = -1;
};

// A port nobody listens on right now (the kernel's pick, released again).
int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) < 0)
    ADD_FAILURE() << "bind 127.0.0.1:0: " << std::strerror(errno);
  ::close(s);
  return ntohs(addr.sin_port);
}

bool accepts_connections(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(s);
  return ok;
}

// Waits up to 15 s for PORT to accept connections while CHILD runs.
::testing::AssertionResult wait_listening(Child& child, int port, const std::string& log) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (accepts_connections(port)) return ::testing::AssertionSuccess();
    if (child.exited()) return ::testing::AssertionFailure() << "exited early:\n" << get_file(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ::testing::AssertionFailure() << "port " << port << " never opened:\n" << get_file(log);
}

BlobSource source_of(const std::string& data) {
  auto offset = std::make_shared<size_t>(0);
  return [&data, offset](char* buf, size_t size) -> Result<size_t> {
    size_t n = std::min(size, data.size() - *offset);
    std::memcpy(buf, data.data() + *offset, n);
    *offset += n;
    return n;
  };
}

Descriptor descriptor_of(std::string_view media_type, const std::string& data) {
  return Descriptor{.media_type = std::string(media_type),
                    .digest = sha256_of(data),
                    .size = static_cast<int64_t>(data.size())};
}

json descriptor_json(const Descriptor& d) {
  return {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
}

// An image small enough to build by hand: a config, one layer (big enough to
// arrive in many chunks), the OCI manifest naming both.
struct TestImage {
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  std::string layer;
  std::string manifest;
  TestImage() {
    // Over 1 MiB: curl then sends "Expect: 100-continue" on upload.
    for (int i = 0; layer.size() < (1200 << 10); ++i)
      layer += "line " + std::to_string(i) + " of a test layer\n";
    json m = {{"schemaVersion", 2},
              {"mediaType", media::kOciManifest},
              {"config", descriptor_json(descriptor_of(media::kOciConfig, config))},
              {"layers", {descriptor_json(descriptor_of(media::kOciLayerGzip, layer))}}};
    manifest = m.dump();
  }
  Descriptor config_desc() const { return descriptor_of(media::kOciConfig, config); }
  Descriptor layer_desc() const { return descriptor_of(media::kOciLayerGzip, layer); }
};

::testing::AssertionResult push(RegistryClient& client, const std::string& repo, const std::string& tag,
                                const TestImage& img) {
  std::vector<std::pair<Descriptor, const std::string*>> blobs = {{img.config_desc(), &img.config},
                                                                  {img.layer_desc(), &img.layer}};
  for (const auto& [desc, data] : blobs) {
    auto r = client.put_blob(repo, desc, source_of(*data));
    if (!r) return ::testing::AssertionFailure() << "put_blob: " << r.error().what();
  }
  auto r = client.put_manifest(repo, tag, std::string(media::kOciManifest), img.manifest);
  if (!r) return ::testing::AssertionFailure() << "put_manifest: " << r.error().what();
  return ::testing::AssertionSuccess();
}

Result<std::string> fetch_blob(RegistryClient& client, const std::string& repo, const Descriptor& desc) {
  std::string got;
  HUSK_TRY(client.get_blob(repo, desc, [&](const char* data, size_t size) -> Result<void> {
    got.append(data, size);
    return {};
  }));
  return got;
}

// ---- against the real registry ----

// docker-registry on 127.0.0.1, plain http, storage in a temporary dir.
class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { start(""); }

  // AUTH: a YAML "auth:" section, or "".
  void start(const std::string& auth) {
    if (!path_exists(kRegistryBinary))
      GTEST_SKIP() << kRegistryBinary << " is missing (Debian package docker-registry)";
    port_ = free_port();
    domain_ = "127.0.0.1:" + std::to_string(port_);
    put_file(dir_ / "config.yml",
             "version: 0.1\n"
             "log:\n  level: error\n  accesslog:\n    disabled: true\n"
             "storage:\n  filesystem:\n    rootdirectory: " +
                 dir_ / "storage" +
                 "\n"
                 "http:\n  addr: " +
                 domain_ + "\n  secret: husk-unit-test\n" + auth);
    registry_ = std::make_unique<Child>(
        std::vector<std::string>{kRegistryBinary, "serve", dir_ / "config.yml"}, dir_ / "registry.log");
    ASSERT_TRUE(wait_listening(*registry_, port_, dir_ / "registry.log"));
  }

  RegistryClient client(std::optional<Credentials> creds = std::nullopt) {
    return RegistryClient(domain_, RegistryOptions{.stall_timeout_s = 10, .credentials = std::move(creds)});
  }

  // Where the filesystem driver keeps a blob's bytes.
  std::string blob_data_path(const Digest& d) {
    return dir_ / ("storage/docker/registry/v2/blobs/sha256/" + d.hex.substr(0, 2) + "/" + d.hex + "/data");
  }

  TempDir dir_;
  int port_ = 0;
  std::string domain_;
  std::unique_ptr<Child> registry_;  // declared after dir_: killed before the dir goes
  TestImage img_;
};

TEST_F(RegistryTest, PingsTheApi) {
  auto c = client();
  auto r = c.ping();
  EXPECT_TRUE(r.has_value()) << r.error().what();
}

TEST_F(RegistryTest, PushesThenPullsByTagAndDigest) {
  auto c = client();
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));

  auto by_tag = c.get_manifest("husk/test", "v1");
  ASSERT_TRUE(by_tag.has_value()) << by_tag.error().what();
  EXPECT_EQ(by_tag->bytes, img_.manifest);
  EXPECT_EQ(by_tag->digest, sha256_of(img_.manifest));
  EXPECT_EQ(by_tag->media_type, media::kOciManifest);

  auto by_digest = c.get_manifest("husk/test", by_tag->digest.str());
  ASSERT_TRUE(by_digest.has_value()) << by_digest.error().what();
  EXPECT_EQ(by_digest->bytes, img_.manifest);
  EXPECT_EQ(by_digest->digest, by_tag->digest);
}

TEST_F(RegistryTest, StreamsBlobsInChunks) {
  auto c = client();
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));
  size_t chunks = 0;
  std::string got;
  auto r = c.get_blob("husk/test", img_.layer_desc(), [&](const char* data, size_t size) -> Result<void> {
    ++chunks;
    got.append(data, size);
    return {};
  });
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(got, img_.layer);
  EXPECT_GT(chunks, 1u);
}

// One client, several threads: each transfer has its own handle.
TEST_F(RegistryTest, ServesSeveralThreadsAtOnce) {
  auto c = client();
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));
  std::vector<std::string> errors(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < errors.size(); ++i) {
    threads.emplace_back([&, i] {
      auto blob = fetch_blob(c, "husk/test", img_.layer_desc());
      auto m = c.get_manifest("husk/test", "v1");
      if (!blob || *blob != img_.layer) errors[i] = blob ? "wrong bytes" : blob.error().what();
      if (!m) errors[i] += m.error().what();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
}

TEST_F(RegistryTest, KnowsWhichBlobsItHas) {
  auto c = client();
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));
  auto has = c.has_blob("husk/test", img_.layer_desc().digest);
  ASSERT_TRUE(has.has_value()) << has.error().what();
  EXPECT_TRUE(*has);
  auto hasnt = c.has_blob("husk/test", sha256_of("not pushed"));
  ASSERT_TRUE(hasnt.has_value()) << hasnt.error().what();
  EXPECT_FALSE(*hasnt);
}

TEST_F(RegistryTest, SkipsUploadingABlobItHas) {
  auto c = client();
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));
  bool read = false;
  auto r = c.put_blob("husk/test", img_.layer_desc(), [&](char*, size_t) -> Result<size_t> {
    read = true;
    return fail_code(EIO, "the source was read");
  });
  EXPECT_TRUE(r.has_value()) << r.error().what();
  EXPECT_FALSE(read);
}

TEST_F(RegistryTest, ChecksWhatTheSourceGives) {
  auto c = client();
  Descriptor layer = img_.layer_desc();
  std::string short_layer = img_.layer.substr(0, img_.layer.size() - 10);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(FailsWith(c.put_blob("husk/test", layer, source_of(short_layer)), EBADMSG,
                        "size mismatch (got " + std::to_string(short_layer.size()) + ", want " +
                            std::to_string(layer.size) + ")"));
  // At once, not after the registry's wait for the missing bytes stalls.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  std::string long_layer = img_.layer + "extra";
  EXPECT_TRUE(FailsWith(c.put_blob("husk/test", layer, source_of(long_layer)), EBADMSG, "size mismatch"));
  std::string other = img_.layer;
  other[100] ^= 1;
  EXPECT_TRUE(FailsWith(c.put_blob("husk/test", layer, source_of(other)), EBADMSG, "digest mismatch"));
  auto r = c.put_blob("husk/test", layer, [](char*, size_t) -> Result<size_t> {
    return fail_code(EIO, "read layer.tar: disk on fire");
  });
  EXPECT_TRUE(FailsWith(r, EIO, "read layer.tar: disk on fire"));
  // None of them left a blob behind.
  auto has = c.has_blob("husk/test", layer.digest);
  ASSERT_TRUE(has.has_value()) << has.error().what();
  EXPECT_FALSE(*has);
}

TEST_F(RegistryTest, ReturnsTheSinksError) {
  auto c = client();
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));
  auto r = c.get_blob("husk/test", img_.layer_desc(),
                      [](const char*, size_t) -> Result<void> { return fail_code(ENOSPC, "disk full"); });
  EXPECT_TRUE(FailsWith(r, ENOSPC, "disk full"));
}

TEST_F(RegistryTest, RejectsABlobOfTheWrongSize) {
  auto c = client();
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));
  Descriptor longer = img_.layer_desc(), shorter = img_.layer_desc();
  longer.size += 1;
  shorter.size -= 1;
  EXPECT_TRUE(FailsWith(fetch_blob(c, "husk/test", longer), EBADMSG,
                        "size mismatch (got " + std::to_string(img_.layer.size()) + ", want " +
                            std::to_string(longer.size) + ")"));
  EXPECT_TRUE(FailsWith(fetch_blob(c, "husk/test", shorter), EBADMSG, "size mismatch"));
}

// The registry addresses blobs by digest, so only bytes altered in its
// storage can come back under the wrong digest.
TEST_F(RegistryTest, RejectsBytesThatDoNotMatchTheDigest) {
  auto c = client();
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));
  Descriptor layer = img_.layer_desc();
  std::string corrupt = img_.layer;
  corrupt[0] ^= 1;
  ASSERT_TRUE(path_exists(blob_data_path(layer.digest))) << blob_data_path(layer.digest);
  put_file(blob_data_path(layer.digest), corrupt);
  EXPECT_TRUE(FailsWith(fetch_blob(c, "husk/test", layer), EBADMSG,
                        "blob " + layer.digest.str() + ": digest mismatch"));

  Digest manifest = sha256_of(img_.manifest);
  // Still JSON (the registry parses what it serves), other bytes.
  std::string bad_manifest = "{ " + img_.manifest.substr(1);
  put_file(blob_data_path(manifest), bad_manifest);
  EXPECT_TRUE(FailsWith(c.get_manifest("husk/test", manifest.str()), EBADMSG, "digest mismatch"));
}

TEST_F(RegistryTest, UnknownTagIsManifestUnknown) {
  auto c = client();
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));
  auto r = c.get_manifest("husk/test", "nope");
  EXPECT_TRUE(FailsWith(r, ENOENT, "manifest unknown"));
  EXPECT_TRUE(FailsWith(r, ENOENT, domain_ + "/husk/test:nope"));
  EXPECT_TRUE(FailsWith(c.get_manifest("husk/never-pushed", "latest"), ENOENT, "manifest unknown"));
}

TEST_F(RegistryTest, UnknownBlobIsBlobUnknown) {
  auto c = client();
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));
  Descriptor missing = descriptor_of(media::kOciLayerGzip, "never pushed");
  EXPECT_TRUE(
      FailsWith(fetch_blob(c, "husk/test", missing), ENOENT, "blob unknown: " + domain_ + "/husk/test@"));
}

TEST_F(RegistryTest, RejectsAManifestNamingMissingBlobs) {
  auto c = client();
  auto r = c.put_manifest("husk/test", "v1", std::string(media::kOciManifest), img_.manifest);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("MANIFEST_BLOB_UNKNOWN"), std::string::npos) << r.error().what();
}

TEST_F(RegistryTest, RefusesAnUnverifiableDigest) {
  auto c = client();
  EXPECT_TRUE(FailsWith(c.get_manifest("husk/test", "sha256:abc"), EINVAL, "invalid digest"));
}

// ---- htpasswd (basic auth) ----

class RegistryBasicAuthTest : public RegistryTest {
 protected:
  void SetUp() override {
    if (!path_exists(kPython)) GTEST_SKIP() << kPython << " is missing: needed to make a bcrypt htpasswd";
    std::string htpasswd = dir_ / "htpasswd";
    // bcrypt via libxcrypt, at the lowest cost (the registry checks it on
    // every request); the registry takes $2b$ as well as htpasswd's $2y$.
    put_file(dir_ / "htpasswd.py",
             "import warnings\n"
             "warnings.simplefilter('ignore')\n"
             "import crypt, sys\n"
             "open(sys.argv[1], 'w').write('alice:' + crypt.crypt('secret', "
             "crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)) "
             "+ '\\n')\n");
    std::string cmd = std::string(kPython) + " " + dir_ / "htpasswd.py" + " " + htpasswd;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    ASSERT_TRUE(get_file(htpasswd).starts_with("alice:$2")) << get_file(htpasswd);
    start("auth:\n  htpasswd:\n    realm: husk\n    path: " + htpasswd + "\n");
  }
};

TEST_F(RegistryBasicAuthTest, WithoutCredentialsIsUnauthorized) {
  auto c = client();
  EXPECT_TRUE(FailsWith(c.ping(), EACCES, "unauthorized"));
  auto r = c.get_manifest("husk/test", "v1");
  EXPECT_TRUE(FailsWith(r, EACCES, "unauthorized: authentication required"));
  EXPECT_TRUE(FailsWith(r, EACCES, domain_ + "/husk/test:v1"));
}

TEST_F(RegistryBasicAuthTest, WrongPasswordIsUnauthorized) {
  auto c = client(Credentials{"alice", "wrong"});
  EXPECT_TRUE(FailsWith(c.ping(), EACCES, "refused the credentials of alice"));
  EXPECT_TRUE(FailsWith(c.has_blob("husk/test", sha256_of("x")), EACCES, "unauthorized"));
}

TEST_F(RegistryBasicAuthTest, RightCredentialsPushAndPull) {
  auto c = client(Credentials{"alice", "secret"});
  EXPECT_TRUE(c.ping().has_value());
  ASSERT_TRUE(push(c, "husk/test", "v1", img_));
  auto m = c.get_manifest("husk/test", "v1");
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->bytes, img_.manifest);
  auto blob = fetch_blob(c, "husk/test", img_.layer_desc());
  ASSERT_TRUE(blob.has_value()) << blob.error().what();
  EXPECT_EQ(*blob, img_.layer);
}

// ---- python3 fakes ----

// One script, several behaviours (argv[1]); it binds port 0 and writes the
// port it got to argv[2]. Like Go's net/http, it hangs up on a TLS hello at
// once (python's parser would wait for a newline that may never come).
constexpr const char* kFakeRegistry = R"PY(
import base64, json, socket, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE, PORT_FILE, STATE_DIR = sys.argv[1], sys.argv[2], sys.argv[3]
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": []}).encode()

def bump(name):
    path = STATE_DIR + "/" + name
    try:
        n = int(open(path).read())
    except OSError:
        n = 0
    open(path, "w").write(str(n + 1))

class Handler(BaseHTTPRequestHandler):
    def handle(self):
        try:
            first = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first == b"\x16":
            return
        super().handle()

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if MODE == "error500":
            body = json.dumps({"errors": [{"code": "UNKNOWN", "message": "storage is on fire"}]}).encode()
            return self.reply(500, body, [("Content-Type", "application/json")])
        if url.path == "/token":
            return self.token(urllib.parse.parse_qs(url.query))
        if self.headers.get("Authorization") != "Bearer good-token":
            challenge = ('Bearer realm="http://127.0.0.1:%d/token",service="fake",scope="repository:x:pull"'
                         % self.server.server_address[1])
            body = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
            return self.reply(401, body.encode(), [("WWW-Authenticate", challenge)])
        if url.path == "/v2/":
            return self.reply(200, b"{}")
        if url.path == "/v2/x/manifests/latest":
            return self.reply(200, MANIFEST, [("Content-Type", "application/vnd.oci.image.index.v1+json")])
        self.reply(404)

    def token(self, query):
        bump("token-requests")
        good = "Basic " + base64.b64encode(b"alice:secret").decode()
        if (self.headers.get("Authorization") != good or query.get("service") != ["fake"]
                or query.get("scope") not in (None, ["repository:x:pull"])):
            return self.reply(401, json.dumps({"details": "incorrect username or password"}).encode())
        self.reply(200, json.dumps({"token": "good-token", "expires_in": 300}).encode())

def silent():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    write_port(s.getsockname()[1])
    held = []
    while True:
        held.append(s.accept())

def write_port(port):
    open(PORT_FILE + ".tmp", "w").write(str(port))
    import os
    os.rename(PORT_FILE + ".tmp", PORT_FILE)

if MODE == "silent":
    silent()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
write_port(server.server_address[1])
server.serve_forever()
)PY";

class RegistryFakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!path_exists(kPython))
      GTEST_SKIP() << kPython << " is missing: the fake registries are python scripts";
  }

  // Starts the fake in MODE (a fatal failure when it does not come up).
  void start(const std::string& mode) {
    put_file(dir_ / "fake.py", kFakeRegistry);
    std::string port_file = dir_ / "port";
    fake_ = std::make_unique<Child>(
        std::vector<std::string>{kPython, dir_ / "fake.py", mode, port_file, dir_.path()}, dir_ / "fake.log");
    for (int i = 0; i < 300 && !path_exists(port_file); ++i) {
      if (fake_->exited()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(path_exists(port_file)) << "the fake never started:\n" << get_file(dir_ / "fake.log");
    domain_ = "127.0.0.1:" + get_file(port_file);
  }

  RegistryClient client(std::optional<Credentials> creds = std::nullopt, int stall_timeout_s = 10) {
    return RegistryClient(
        domain_, RegistryOptions{.stall_timeout_s = stall_timeout_s, .credentials = std::move(creds)});
  }

  TempDir dir_;
  std::string domain_;
  std::unique_ptr<Child> fake_;
};

TEST_F(RegistryFakeTest, BearerTokenFromTheRealm) {
  ASSERT_NO_FATAL_FAILURE(start("bearer"));
  auto c = client(Credentials{"alice", "secret"});
  auto m = c.get_manifest("x", "latest");
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->media_type, media::kOciIndex);
  EXPECT_TRUE(m->bytes.find("\"manifests\"") != std::string::npos) << m->bytes;
  // The token is cached for its scope: a second pull asks no token server.
  ASSERT_TRUE(c.get_manifest("x", "latest").has_value());
  EXPECT_EQ(get_file(dir_ / "token-requests"), "1");
  EXPECT_TRUE(c.ping().has_value());
}

TEST_F(RegistryFakeTest, BearerWithWrongPasswordIsUnauthorized) {
  ASSERT_NO_FATAL_FAILURE(start("bearer"));
  auto c = client(Credentials{"alice", "wrong"});
  auto r = c.get_manifest("x", "latest");
  EXPECT_TRUE(FailsWith(r, EACCES, "unauthorized"));
  EXPECT_TRUE(FailsWith(r, EACCES, "incorrect username or password"));
  EXPECT_TRUE(FailsWith(client().get_manifest("x", "latest"), EACCES, "unauthorized"));
}

TEST_F(RegistryFakeTest, ServerErrorIsEio) {
  ASSERT_NO_FATAL_FAILURE(start("error500"));
  auto r = client().get_manifest("x", "latest");
  EXPECT_TRUE(FailsWith(r, EIO, "registry returned 500 Internal Server Error"));
  EXPECT_TRUE(FailsWith(r, EIO, "storage is on fire"));
  EXPECT_TRUE(FailsWith(r, EIO, domain_ + "/v2/x/manifests/latest"));
}

TEST_F(RegistryFakeTest, SilentRegistryTimesOut) {
  ASSERT_NO_FATAL_FAILURE(start("silent"));
  auto c = client(std::nullopt, 2);
  auto start = std::chrono::steady_clock::now();
  auto r = c.get_manifest("x", "latest");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(FailsWith(r, ETIMEDOUT, "registry " + domain_ + " did not answer for 2 s"));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_GE(elapsed, std::chrono::milliseconds(1500));
}

TEST(RegistryConnectTest, ClosedPortIsConnectionRefused) {
  std::string domain = "127.0.0.1:" + std::to_string(free_port());
  RegistryClient c(domain, RegistryOptions{.stall_timeout_s = 5});
  auto r = c.get_manifest("x", "latest");
  EXPECT_TRUE(FailsWith(r, ECONNREFUSED, domain));
  EXPECT_TRUE(FailsWith(c.ping(), ECONNREFUSED, "cannot reach registry"));
}

// ---- the credentials file ----

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(CredentialsTest, StoreThenLoad) {
  TempDir dir;
  std::string file = dir / "new/dir/auth.json";
  ASSERT_TRUE(store_credentials(file, "localhost:5000", {"alice", "pa:ss word"}).has_value());
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(dir / "new/dir"), 0700u);
  auto c = load_credentials(file, "localhost:5000");
  ASSERT_TRUE(c.has_value()) << c.error().what();
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->username, "alice");
  EXPECT_EQ((*c)->password, "pa:ss word");
  // docker's own layout: base64 of user:password under auths.<domain>.auth.
  json j = json::parse(get_file(file));
  EXPECT_EQ(j["auths"]["localhost:5000"]["auth"], "YWxpY2U6cGE6c3Mgd29yZA==");
  auto other = load_credentials(file, "quay.io");
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->has_value());
}

TEST(CredentialsTest, MissingFileHasNoCredentials) {
  TempDir dir;
  auto c = load_credentials(dir / "none.json", "docker.io");
  ASSERT_TRUE(c.has_value()) << c.error().what();
  EXPECT_FALSE(c->has_value());
  auto removed = remove_credentials(dir / "none.json", "docker.io");
  ASSERT_TRUE(removed.has_value());
  EXPECT_FALSE(*removed);
}

TEST(CredentialsTest, KeepsWhatElseTheFileHolds) {
  TempDir dir;
  std::string file = dir / "config.json";
  put_file(file, R"({"auths": {"quay.io": {"auth": "Ym9iOmh1bnRlcjI="}}, "credsStore": "desktop",
                    "HttpHeaders": {"User-Agent": "x"}})");
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  ASSERT_TRUE(store_credentials(file, "localhost:5000", {"alice", "secret"}).has_value());
  json j = json::parse(get_file(file));
  EXPECT_EQ(j["credsStore"], "desktop");
  EXPECT_EQ(j["HttpHeaders"]["User-Agent"], "x");
  auto bob = load_credentials(file, "quay.io");
  ASSERT_TRUE(bob.has_value() && bob->has_value());
  EXPECT_EQ((*bob)->username, "bob");
  EXPECT_EQ((*bob)->password, "hunter2");
  EXPECT_EQ(mode_of(file), 0600u);
}

TEST(CredentialsTest, DockerHubUnderDockersKey) {
  TempDir dir;
  std::string file = dir / "config.json";
  put_file(file, R"({"auths": {"https://index.docker.io/v1/": {"auth": "Ym9iOmh1bnRlcjI="}}})");
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  auto c = load_credentials(file, "docker.io");
  ASSERT_TRUE(c.has_value() && c->has_value());
  EXPECT_EQ((*c)->username, "bob");
}

TEST(CredentialsTest, RefusesAFileOthersCanRead) {
  TempDir dir;
  std::string file = dir / "config.json";
  put_file(file, R"({"auths": {"quay.io": {"auth": "Ym9iOmh1bnRlcjI="}}})");
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  EXPECT_TRUE(FailsWith(load_credentials(file, "quay.io"), EACCES, "chmod 600 " + file));
  // Storing rewrites it privately, which heals it.
  ASSERT_TRUE(store_credentials(file, "localhost:5000", {"alice", "secret"}).has_value());
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_TRUE(load_credentials(file, "quay.io").has_value());
}

TEST(CredentialsTest, RejectsJunk) {
  TempDir dir;
  std::string file = dir / "config.json";
  put_file(file, R"({"auths": {"quay.io": {"auth": "bm8gY29sb24="}}})");  // "no colon"
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  EXPECT_TRUE(FailsWith(load_credentials(file, "quay.io"), EINVAL, "base64(user:password)"));
  put_file(file, "[1, 2]");
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  EXPECT_TRUE(FailsWith(load_credentials(file, "quay.io"), EINVAL, "not a JSON object"));
}

TEST(CredentialsTest, Remove) {
  TempDir dir;
  std::string file = dir / "auth.json";
  ASSERT_TRUE(store_credentials(file, "localhost:5000", {"alice", "secret"}).has_value());
  ASSERT_TRUE(store_credentials(file, "quay.io", {"bob", "hunter2"}).has_value());
  auto removed = remove_credentials(file, "localhost:5000");
  ASSERT_TRUE(removed.has_value()) << removed.error().what();
  EXPECT_TRUE(*removed);
  auto gone = load_credentials(file, "localhost:5000");
  ASSERT_TRUE(gone.has_value());
  EXPECT_FALSE(gone->has_value());
  auto kept = load_credentials(file, "quay.io");
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  EXPECT_EQ((*kept)->password, "hunter2");
  auto again = remove_credentials(file, "localhost:5000");
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(*again);
  EXPECT_EQ(mode_of(file), 0600u);
}

}  // namespace
}  // namespace husk::image
