// image/oci: manifests, indexes and image configs (OCI and docker schema 2)
// into the model and back, every refusal naming its field; platforms and how
// an index's manifest is chosen for one.
#include "image/oci.hpp"

#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <nlohmann/json.hpp>

#include "test_helpers.hpp"

namespace husk::image {
namespace {

using nlohmann::json;
using testing::FailsWith;
using Strings = std::vector<std::string>;

const Digest kConfigDigest = sha256_of("config");
const Digest kLayer1 = sha256_of("layer1");
const Digest kLayer2 = sha256_of("layer2");
const Digest kDiff1 = sha256_of("diff1");
const Digest kDiff2 = sha256_of("diff2");

// As registries serve them: indented, with fields husk does not model.
const std::string kOciManifest = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "artifactType": "application/vnd.example+type",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": ")" + kConfigDigest.str() +
                                 R"(",
    "size": 1469
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": ")" + kLayer1.str() +
                                 R"(",
      "size": 3370706,
      "annotations": {"org.opencontainers.image.title": "base"}
    },
    {
      "mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "digest": ")" + kLayer2.str() +
                                 R"(",
      "size": 0,
      "urls": ["https://mirror.example/a", "https://mirror.example/b"],
      "data": "e30="
    }
  ],
  "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                                 kLayer1.str() + R"(", "size": 7},
  "annotations": {"org.opencontainers.image.created": "2024-01-02T03:04:05Z", "com.example.key": "v"}
})";

const std::string kDockerManifest = R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1457,
      "digest": ")" + kConfigDigest.str() +
                                    R"("
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2220094,
         "digest": ")" + kLayer1.str() +
                                    R"("
      }
   ]
})";

std::string index_json(std::string_view media_type) {
  return R"({
  "schemaVersion": 2,
  "mediaType": ")" +
         std::string(media_type) +
         R"(",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")" +
         kLayer1.str() +
         R"(",
      "size": 1000,
      "platform": {"architecture": "amd64", "os": "linux"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")" +
         kLayer2.str() +
         R"(",
      "size": 1001,
      "platform": {"architecture": "arm", "os": "linux", "variant": "v7"},
      "annotations": {"a": "b"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")" +
         kConfigDigest.str() +
         R"(",
      "size": 1002,
      "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1817",
                   "os.features": ["win32k"]}
    }
  ],
  "annotations": {"org.opencontainers.image.ref.name": "1.0"}
})";
}

const std::string kDockerConfig = R"({
  "architecture": "arm",
  "variant": "v7",
  "os": "linux",
  "author": "someone",
  "created": "2024-05-06T07:08:09.123456789Z",
  "docker_version": "24.0.7",
  "container": "3f2b",
  "container_config": {"Hostname": "3f2b", "Cmd": ["/bin/sh", "-c", "#(nop) CMD [\"sh\"]"]},
  "config": {
    "Hostname": "",
    "User": "1000:1000",
    "AttachStdin": false,
    "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"],
    "Cmd": ["sh", "-c", "echo hi"],
    "Image": "sha256:0000",
    "Volumes": {"/var/lib/data": {}, "/cache": {}},
    "WorkingDir": "/srv",
    "Entrypoint": null,
    "OnBuild": null,
    "Labels": {"maintainer": "me", "org.opencontainers.image.version": "1.2"},
    "StopSignal": "SIGQUIT"
  },
  "rootfs": {
    "type": "layers",
    "diff_ids": [")" + kDiff1.str() +
                                  R"(", ")" + kDiff2.str() + R"("]
  },
  "history": [
    {"created": "2024-05-06T07:08:08Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
    {"created": "2024-05-06T07:08:09Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": true,
     "author": "someone", "comment": "buildkit.dockerfile.v0"}
  ]
})";

// ---- manifests ----

TEST(OciManifest, ParsesAnOciManifest) {
  auto m = parse_manifest(kOciManifest);
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->schema_version, 2);
  EXPECT_EQ(m->media_type, media::kOciManifest);
  EXPECT_EQ(m->config.media_type, media::kOciConfig);
  EXPECT_EQ(m->config.digest, kConfigDigest);
  EXPECT_EQ(m->config.size, 1469);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].media_type, media::kOciLayerGzip);
  EXPECT_EQ(m->layers[0].digest, kLayer1);
  EXPECT_EQ(m->layers[0].size, 3370706);
  EXPECT_EQ(m->layers[0].annotations,
            (std::map<std::string, std::string>{{"org.opencontainers.image.title", "base"}}));
  EXPECT_TRUE(m->layers[0].urls.empty());
  EXPECT_EQ(m->layers[1].media_type, media::kOciLayerNondistGzip);
  EXPECT_EQ(m->layers[1].size, 0);
  EXPECT_EQ(m->layers[1].urls, (Strings{"https://mirror.example/a", "https://mirror.example/b"}));
  EXPECT_FALSE(m->layers[1].platform.has_value());
  EXPECT_EQ(m->annotations.size(), 2u);
  EXPECT_EQ(m->annotations.at("com.example.key"), "v");
}

TEST(OciManifest, ParsesADockerSchema2Manifest) {
  auto m = parse_manifest(kDockerManifest);
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->media_type, media::kDockerManifest);
  EXPECT_EQ(m->config.media_type, media::kDockerConfig);
  EXPECT_EQ(m->config.size, 1457);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].media_type, media::kDockerLayerGzip);
  EXPECT_EQ(m->layers[0].digest, kLayer1);
  EXPECT_TRUE(m->annotations.empty());
}

TEST(OciManifest, MediaTypeAndLayersMayBeAbsent) {
  auto m = parse_manifest(R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kConfigDigest.str() +
                          R"(","size":2}})");
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->media_type, "");
  EXPECT_TRUE(m->layers.empty());
}

TEST(OciManifest, RoundTripsThroughToJson) {
  for (const auto* doc : {&kOciManifest, &kDockerManifest}) {
    auto m = parse_manifest(*doc);
    ASSERT_TRUE(m.has_value()) << m.error().what();
    auto again = parse_manifest(to_json(*m));
    ASSERT_TRUE(again.has_value()) << again.error().what();
    EXPECT_EQ(*again, *m);
    EXPECT_EQ(to_json(*again), to_json(*m));
  }
}

TEST(OciManifest, ToJsonIsCompactInSpecOrderWithoutEmptyFields) {
  Manifest m;
  m.media_type = media::kOciManifest;
  m.config = {std::string(media::kOciConfig), kConfigDigest, 12};
  m.layers.push_back({std::string(media::kOciLayerGzip), kLayer1, 34});
  m.layers.push_back({std::string(media::kOciLayerZstd), kLayer2, 56, {"https://u"}, {{"k", "v"}}});
  EXPECT_EQ(to_json(m),
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
            R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                kConfigDigest.str() +
                R"(","size":12},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
                R"("digest":")" +
                kLayer1.str() +
                R"(","size":34},{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":")" +
                kLayer2.str() + R"(","size":56,"urls":["https://u"],"annotations":{"k":"v"}}]})");

  m.media_type.clear();
  m.layers.clear();
  m.annotations = {{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(to_json(m),
            R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json",)"
            R"("digest":")" +
                kConfigDigest.str() + R"(","size":12},"layers":[],"annotations":{"a":"1","b":"2"}})");
}

TEST(OciManifest, DescriptorToJson) {
  Descriptor d{std::string(media::kOciManifest), kLayer1, 7};
  d.platform = Platform{"arm64", "linux", "v8", "", {}};
  EXPECT_EQ(to_json(d), R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                            kLayer1.str() +
                            R"(","size":7,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}})");
}

// ---- indexes ----

TEST(OciIndex, ParsesAnOciIndexWithPlatforms) {
  auto i = parse_index(index_json(media::kOciIndex));
  ASSERT_TRUE(i.has_value()) << i.error().what();
  EXPECT_EQ(i->schema_version, 2);
  EXPECT_EQ(i->media_type, media::kOciIndex);
  ASSERT_EQ(i->manifests.size(), 3u);
  ASSERT_TRUE(i->manifests[0].platform.has_value());
  EXPECT_EQ(*i->manifests[0].platform, (Platform{"amd64", "linux", "", "", {}}));
  EXPECT_EQ(i->manifests[0].digest, kLayer1);
  EXPECT_EQ(i->manifests[0].size, 1000);
  EXPECT_EQ(*i->manifests[1].platform, (Platform{"arm", "linux", "v7", "", {}}));
  EXPECT_EQ(i->manifests[1].annotations.at("a"), "b");
  EXPECT_EQ(*i->manifests[2].platform, (Platform{"amd64", "windows", "", "10.0.17763.1817", {"win32k"}}));
  EXPECT_EQ(i->annotations.at("org.opencontainers.image.ref.name"), "1.0");
}

TEST(OciIndex, ParsesADockerManifestList) {
  auto i = parse_index(index_json(media::kDockerManifestList));
  ASSERT_TRUE(i.has_value()) << i.error().what();
  EXPECT_EQ(i->media_type, media::kDockerManifestList);
  EXPECT_EQ(i->manifests.size(), 3u);
}

TEST(OciIndex, RoundTripsThroughToJson) {
  auto i = parse_index(index_json(media::kOciIndex));
  ASSERT_TRUE(i.has_value()) << i.error().what();
  auto again = parse_index(to_json(*i));
  ASSERT_TRUE(again.has_value()) << again.error().what();
  EXPECT_EQ(*again, *i);
}

TEST(OciIndex, ToJsonIsCompactInSpecOrder) {
  Index i;
  i.media_type = media::kOciIndex;
  Descriptor d{std::string(media::kOciManifest), kLayer1, 9};
  d.platform = Platform{"amd64", "windows", "", "10.0", {"win32k"}};
  i.manifests.push_back(d);
  EXPECT_EQ(to_json(i),
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
            R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                kLayer1.str() +
                R"(","size":9,"platform":{"architecture":"amd64","os":"windows","os.version":"10.0",)"
                R"("os.features":["win32k"]}}]})");
  EXPECT_EQ(to_json(Index{}), R"({"schemaVersion":2,"manifests":[]})");
}

// ---- image configs ----

TEST(OciImageConfig, ParsesADockerImageConfig) {
  auto c = parse_image_config(kDockerConfig);
  ASSERT_TRUE(c.has_value()) << c.error().what();
  EXPECT_EQ(c->created, "2024-05-06T07:08:09.123456789Z");
  EXPECT_EQ(c->author, "someone");
  EXPECT_EQ(c->platform, (Platform{"arm", "linux", "v7", "", {}}));
  const RunConfig& r = c->config;
  EXPECT_EQ(r.user, "1000:1000");
  EXPECT_EQ(r.exposed_ports, (Strings{"53/udp", "8080/tcp"}));
  EXPECT_EQ(r.env,
            (Strings{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}));
  EXPECT_EQ(r.cmd, (Strings{"sh", "-c", "echo hi"}));
  EXPECT_TRUE(r.cmd_set);
  EXPECT_TRUE(r.entrypoint.empty());
  EXPECT_TRUE(r.entrypoint_set);  // null, but there
  EXPECT_EQ(r.volumes, (Strings{"/cache", "/var/lib/data"}));
  EXPECT_EQ(r.working_dir, "/srv");
  EXPECT_EQ(r.labels, (std::map<std::string, std::string>{{"maintainer", "me"},
                                                          {"org.opencontainers.image.version", "1.2"}}));
  EXPECT_EQ(r.stop_signal, "SIGQUIT");
  EXPECT_EQ(c->diff_ids, (std::vector<Digest>{kDiff1, kDiff2}));
  ASSERT_EQ(c->history.size(), 2u);
  EXPECT_EQ(c->history[0].created, "2024-05-06T07:08:08Z");
  EXPECT_EQ(c->history[0].created_by, "/bin/sh -c #(nop) ADD file:abc in / ");
  EXPECT_FALSE(c->history[0].empty_layer);
  EXPECT_TRUE(c->history[1].empty_layer);
  EXPECT_EQ(c->history[1].author, "someone");
  EXPECT_EQ(c->history[1].comment, "buildkit.dockerfile.v0");
}

TEST(OciImageConfig, AbsentEntrypointAndCmdAreNotSet) {
  auto c = parse_image_config(R"({"architecture":"amd64","os":"linux","config":{"Env":null,"Labels":null},)"
                              R"("rootfs":{"type":"layers","diff_ids":[]}})");
  ASSERT_TRUE(c.has_value()) << c.error().what();
  EXPECT_FALSE(c->config.entrypoint_set);
  EXPECT_FALSE(c->config.cmd_set);
  EXPECT_TRUE(c->config.env.empty());
  EXPECT_TRUE(c->config.labels.empty());
  EXPECT_TRUE(c->diff_ids.empty());
}

TEST(OciImageConfig, TakesALoneStringCommandAsDockerDoes) {
  auto c =
      parse_image_config(R"({"architecture":"amd64","os":"linux","config":{"Entrypoint":"/init","Cmd":[]},)"
                         R"("rootfs":{"type":"layers"}})");
  ASSERT_TRUE(c.has_value()) << c.error().what();
  EXPECT_EQ(c->config.entrypoint, (Strings{"/init"}));
  EXPECT_TRUE(c->config.cmd.empty());
  EXPECT_TRUE(c->config.cmd_set);
}

TEST(OciImageConfig, RoundTripsThroughToJson) {
  auto c = parse_image_config(kDockerConfig);
  ASSERT_TRUE(c.has_value()) << c.error().what();
  auto again = parse_image_config(to_json(*c));
  ASSERT_TRUE(again.has_value()) << again.error().what();
  EXPECT_EQ(*again, *c);
}

TEST(OciImageConfig, ToJsonIsCompactInSpecOrderWithoutEmptyFields) {
  ImageConfig c;
  c.created = "2024-01-01T00:00:00Z";
  c.platform = {"arm64", "linux", "v8", "", {}};
  c.config.user = "app";
  c.config.exposed_ports = {"443/tcp", "80/tcp"};  // written sorted whatever the order here
  c.config.env = {"A=1"};
  c.config.entrypoint_set = true;  // explicitly empty: overrides the base image's
  c.config.cmd = {"run"};
  c.config.volumes = {"/v"};
  c.config.working_dir = "/w";
  c.config.labels = {{"l", "x"}};
  c.config.stop_signal = "SIGTERM";
  c.diff_ids = {kDiff1};
  c.history.push_back({"2024-01-01T00:00:00Z", "RUN x", "", "", true});
  EXPECT_EQ(to_json(c),
            R"({"created":"2024-01-01T00:00:00Z","architecture":"arm64","os":"linux","variant":"v8",)"
            R"("config":{"User":"app","ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Env":["A=1"],)"
            R"("Entrypoint":[],"Cmd":["run"],"Volumes":{"/v":{}},"WorkingDir":"/w","Labels":{"l":"x"},)"
            R"("StopSignal":"SIGTERM"},"rootfs":{"type":"layers","diff_ids":[")" +
                kDiff1.str() +
                R"("]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"RUN x",)"
                R"("empty_layer":true}]})");

  ImageConfig bare;
  bare.platform = {"amd64", "linux", "", "", {}};
  EXPECT_EQ(to_json(bare),
            R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");
}

TEST(OciImageConfig, ToJsonSortsPortsAndVolumes) {
  ImageConfig c;
  c.config.exposed_ports = {"9000/tcp", "1000/udp", "5000/tcp"};
  c.config.volumes = {"/z", "/a"};
  auto j = json::parse(to_json(c));
  // nlohmann::json sorts keys itself; check the raw text instead.
  const std::string text = to_json(c);
  EXPECT_NE(text.find(R"("ExposedPorts":{"1000/udp":{},"5000/tcp":{},"9000/tcp":{}})"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("Volumes":{"/a":{},"/z":{}})"), std::string::npos) << text;
  EXPECT_TRUE(j["config"]["ExposedPorts"]["1000/udp"].is_object());
}

// ---- refusals ----

struct Refusal {
  std::string json;
  std::string message;
};

std::string descriptor(std::string_view extra = "") {
  return R"({"mediaType":"m","digest":")" + kLayer1.str() + R"(","size":1)" + std::string(extra) + "}";
}

TEST(OciManifest, RefusesWhatTheSpecForbidsNamingTheField) {
  const std::string config = R"("config":)" + descriptor();
  const Refusal refusals[] = {
      {"{", "manifest: parse error"},
      {"", "manifest: parse error"},
      {R"({"schemaVersion":2,)" + config + "} trailing", "manifest: parse error"},
      {"[]", "manifest: must be a JSON object"},
      {R"({)" + config + "}", "manifest: schemaVersion: is required"},
      {R"({"schemaVersion":1,)" + config + "}", "manifest: schemaVersion: must be 2"},
      {R"({"schemaVersion":"2",)" + config + "}", "manifest: schemaVersion: must be 2"},
      {R"({"schemaVersion":2.0,)" + config + "}", "manifest: schemaVersion: must be 2"},
      {R"({"schemaVersion":2})", "manifest: config: is required"},
      {R"({"schemaVersion":2,"config":null})", "manifest: config: is required"},
      {R"({"schemaVersion":2,"config":"sha256:x"})", "manifest: config: must be an object"},
      {R"({"schemaVersion":2,"mediaType":7,)" + config + "}", "manifest: mediaType: must be a string"},
      {R"({"schemaVersion":2,"config":{"digest":")" + kLayer1.str() + R"(","size":1}})",
       "manifest: config.mediaType: is required"},
      {R"({"schemaVersion":2,"config":{"mediaType":"m","size":1}})", "manifest: config.digest: is required"},
      {R"({"schemaVersion":2,"config":{"mediaType":"m","digest":"sha256:abc","size":1}})",
       "manifest: config.digest: invalid digest \"sha256:abc\""},
      {R"({"schemaVersion":2,"config":{"mediaType":"m","digest":")" + kLayer1.str() + R"("}})",
       "manifest: config.size: is required"},
      {R"({"schemaVersion":2,"config":{"mediaType":"m","digest":")" + kLayer1.str() + R"(","size":-1}})",
       "manifest: config.size: must not be negative"},
      {R"({"schemaVersion":2,"config":{"mediaType":"m","digest":")" + kLayer1.str() + R"(","size":"1"}})",
       "manifest: config.size: must be an integer"},
      {R"({"schemaVersion":2,"config":{"mediaType":"m","digest":")" + kLayer1.str() + R"(","size":1.5}})",
       "manifest: config.size: must be an integer"},
      {R"({"schemaVersion":2,"config":{"mediaType":"m","digest":")" + kLayer1.str() +
           R"(","size":18446744073709551615}})",
       "manifest: config.size: is out of range"},
      {R"({"schemaVersion":2,)" + config + R"(,"layers":{}})", "manifest: layers: must be an array"},
      {R"({"schemaVersion":2,)" + config + R"(,"layers":[)" + descriptor() + R"(,"x"]})",
       "manifest: layers[1]: must be an object"},
      {R"({"schemaVersion":2,)" + config + R"(,"layers":[)" + descriptor() +
           R"(,{"mediaType":"m","digest":"sha256:)" + std::string(64, 'A') + R"(","size":1}]})",
       "manifest: layers[1].digest: invalid digest"},
      {R"({"schemaVersion":2,)" + config + R"(,"layers":[)" + descriptor(R"(,"urls":"u")") + "]}",
       "manifest: layers[0].urls: must be an array of strings"},
      {R"({"schemaVersion":2,)" + config + R"(,"layers":[)" + descriptor(R"(,"annotations":{"k":1})") + "]}",
       "manifest: layers[0].annotations.k: must be a string"},
      {R"({"schemaVersion":2,)" + config + R"(,"annotations":[]})",
       "manifest: annotations: must be an object"},
  };
  for (const auto& r : refusals) {
    SCOPED_TRACE(r.json);
    EXPECT_TRUE(FailsWith(parse_manifest(r.json), EINVAL, r.message));
  }
}

TEST(OciIndex, RefusesWhatTheSpecForbidsNamingTheField) {
  const Refusal refusals[] = {
      {"nope", "index: parse error"},
      {"2", "index: must be a JSON object"},
      {R"({"manifests":[]})", "index: schemaVersion: is required"},
      {R"({"schemaVersion":3,"manifests":[]})", "index: schemaVersion: must be 2"},
      {R"({"schemaVersion":2,"manifests":{}})", "index: manifests: must be an array"},
      {R"({"schemaVersion":2,"manifests":[)" + descriptor(R"(,"size":-5)") + "]}",
       "index: manifests[0].size: must not be negative"},
      {R"({"schemaVersion":2,"manifests":[)" + descriptor() + "," +
           descriptor(R"(,"platform":"linux/amd64")") + "]}",
       "index: manifests[1].platform: must be an object"},
      {R"({"schemaVersion":2,"manifests":[)" + descriptor(R"(,"platform":{"architecture":1,"os":"linux"})") +
           "]}",
       "index: manifests[0].platform.architecture: must be a string"},
      {R"({"schemaVersion":2,"manifests":[)" + descriptor(R"(,"platform":{"os":"w","os.features":"x"})") +
           "]}",
       "index: manifests[0].platform.os.features: must be an array of strings"},
  };
  for (const auto& r : refusals) {
    SCOPED_TRACE(r.json);
    EXPECT_TRUE(FailsWith(parse_index(r.json), EINVAL, r.message));
  }
}

TEST(OciImageConfig, RefusesWhatTheSpecForbidsNamingTheField) {
  const std::string rootfs = R"("rootfs":{"type":"layers","diff_ids":[]})";
  const Refusal refusals[] = {
      {"{]", "image config: parse error"},
      {"null", "image config: must be a JSON object"},
      {R"({"architecture":"amd64","os":"linux"})", "image config: rootfs: is required"},
      {R"({"rootfs":[]})", "image config: rootfs: must be an object"},
      {R"({"rootfs":{"diff_ids":[]}})", "image config: rootfs.type: is required"},
      {R"({"rootfs":{"type":"layer","diff_ids":[]}})",
       "image config: rootfs.type: must be \"layers\", not \"layer\""},
      {R"({"rootfs":{"type":"layers","diff_ids":")" + kDiff1.str() + R"("}})",
       "image config: rootfs.diff_ids: must be an array of strings"},
      {R"({"rootfs":{"type":"layers","diff_ids":[")" + kDiff1.str() + R"(","sha256:beef"]}})",
       "image config: rootfs.diff_ids[1]: invalid digest \"sha256:beef\""},
      {R"({"architecture":5,)" + rootfs + "}", "image config: architecture: must be a string"},
      {R"({"os.features":[1],)" + rootfs + "}", "image config: os.features: must be an array of strings"},
      {R"({"created":0,)" + rootfs + "}", "image config: created: must be a string"},
      {R"({"config":[],)" + rootfs + "}", "image config: config: must be an object"},
      {R"({"config":{"User":0},)" + rootfs + "}", "image config: config.User: must be a string"},
      {R"({"config":{"Env":"A=1"},)" + rootfs + "}", "image config: config.Env: must be an array of strings"},
      {R"({"config":{"Entrypoint":[1]},)" + rootfs + "}",
       "image config: config.Entrypoint: must be an array of strings"},
      {R"({"config":{"Cmd":{}},)" + rootfs + "}", "image config: config.Cmd: must be an array of strings"},
      {R"({"config":{"ExposedPorts":["80/tcp"]},)" + rootfs + "}",
       "image config: config.ExposedPorts: must be an object"},
      {R"({"config":{"Volumes":"/data"},)" + rootfs + "}", "image config: config.Volumes: must be an object"},
      {R"({"config":{"Labels":{"a":true}},)" + rootfs + "}",
       "image config: config.Labels.a: must be a string"},
      {R"({"config":{"StopSignal":9},)" + rootfs + "}", "image config: config.StopSignal: must be a string"},
      {R"({"history":{},)" + rootfs + "}", "image config: history: must be an array"},
      {R"({"history":[{},"x"],)" + rootfs + "}", "image config: history[1]: must be an object"},
      {R"({"history":[{"empty_layer":"true"}],)" + rootfs + "}",
       "image config: history[0].empty_layer: must be a boolean"},
  };
  for (const auto& r : refusals) {
    SCOPED_TRACE(r.json);
    EXPECT_TRUE(FailsWith(parse_image_config(r.json), EINVAL, r.message));
  }
}

// ---- media types ----

TEST(OciMediaType, SniffsTheDocumentsMediaType) {
  auto docker = sniff_media_type(kDockerManifest);
  ASSERT_TRUE(docker.has_value()) << docker.error().what();
  EXPECT_EQ(*docker, media::kDockerManifest);
  auto list = sniff_media_type(index_json(media::kDockerManifestList));
  ASSERT_TRUE(list.has_value()) << list.error().what();
  EXPECT_EQ(*list, media::kDockerManifestList);
  auto none = sniff_media_type(R"({"schemaVersion":2,"manifests":[]})");
  ASSERT_TRUE(none.has_value()) << none.error().what();
  EXPECT_EQ(*none, "");
  EXPECT_TRUE(FailsWith(sniff_media_type("{"), EINVAL, "parse error"));
  EXPECT_TRUE(FailsWith(sniff_media_type("[1]"), EINVAL, "must be a JSON object"));
  EXPECT_TRUE(FailsWith(sniff_media_type(R"({"mediaType":{}})"), EINVAL, "mediaType: must be a string"));
}

TEST(OciMediaType, ClassifiesManifestsIndexesAndLayers) {
  EXPECT_TRUE(is_manifest_type(media::kOciManifest));
  EXPECT_TRUE(is_manifest_type(media::kDockerManifest));
  EXPECT_FALSE(is_manifest_type(media::kOciIndex));
  EXPECT_FALSE(is_manifest_type(media::kDockerManifestList));
  EXPECT_FALSE(is_manifest_type("application/vnd.docker.distribution.manifest.v1+prettyjws"));
  EXPECT_FALSE(is_manifest_type(""));

  EXPECT_TRUE(is_index_type(media::kOciIndex));
  EXPECT_TRUE(is_index_type(media::kDockerManifestList));
  EXPECT_FALSE(is_index_type(media::kOciManifest));
  EXPECT_FALSE(is_index_type(media::kDockerManifest));

  for (auto t : {media::kOciLayer, media::kOciLayerGzip, media::kOciLayerZstd, media::kOciLayerNondistGzip,
                 media::kDockerLayerGzip, media::kDockerLayerForeignGzip})
    EXPECT_TRUE(is_layer_type(t)) << t;
  EXPECT_TRUE(is_layer_type("application/vnd.oci.image.layer.nondistributable.v1.tar"));
  EXPECT_TRUE(is_layer_type("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"));
  for (auto t : {media::kOciConfig, media::kDockerConfig, media::kOciManifest,
                 std::string_view("application/gzip"), std::string_view("")})
    EXPECT_FALSE(is_layer_type(t)) << t;
}

// ---- platforms ----

TEST(PlatformHost, MapsUnameMachinesToGoarch) {
  struct Case {
    std::string machine, arch, variant;
  };
  const Case cases[] = {
      {"x86_64", "amd64", ""},  {"aarch64", "arm64", ""},   {"armv7l", "arm", "v7"},
      {"armv8l", "arm", "v7"},  {"armv6l", "arm", "v6"},    {"armv5tel", "arm", "v5"},
      {"i686", "386", ""},      {"i386", "386", ""},        {"ppc64le", "ppc64le", ""},
      {"s390x", "s390x", ""},   {"riscv64", "riscv64", ""}, {"loongarch64", "loong64", ""},
      {"mips64", "mips64", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.machine);
    auto p = platform_from_machine(c.machine);
    EXPECT_EQ(p.os, "linux");
    EXPECT_EQ(p.architecture, c.arch);
    EXPECT_EQ(p.variant, c.variant);
  }
}

TEST(PlatformHost, IsThisMachine) {
  struct utsname u {};
  ASSERT_EQ(::uname(&u), 0);
  auto host = host_platform();
  EXPECT_EQ(host, platform_from_machine(u.machine));
  EXPECT_EQ(host.os, "linux");
  EXPECT_FALSE(host.architecture.empty());
  if (std::string_view(u.machine) == "x86_64") {
    EXPECT_EQ(platform_str(host), "linux/amd64");
  }
}

TEST(PlatformParse, ParsesOsArchAndVariant) {
  auto p = parse_platform("linux/arm/v7");
  ASSERT_TRUE(p.has_value()) << p.error().what();
  EXPECT_EQ(*p, (Platform{"arm", "linux", "v7", "", {}}));
  EXPECT_EQ(platform_str(*p), "linux/arm/v7");

  auto q = parse_platform("linux/amd64");
  ASSERT_TRUE(q.has_value()) << q.error().what();
  EXPECT_EQ(*q, (Platform{"amd64", "linux", "", "", {}}));
  EXPECT_EQ(platform_str(*q), "linux/amd64");

  // The kernel's names and upper case mean the same as for docker.
  for (auto [text, want] :
       {std::pair{"Linux/X86_64", "linux/amd64"}, std::pair{"linux/aarch64/v8", "linux/arm64/v8"},
        std::pair{"linux/i686", "linux/386"}, std::pair{"linux/x86-64", "linux/amd64"}}) {
    auto r = parse_platform(text);
    ASSERT_TRUE(r.has_value()) << text << ": " << r.error().what();
    EXPECT_EQ(platform_str(*r), want);
  }
}

TEST(PlatformParse, RefusesAnythingElse) {
  for (std::string bad : {"", "linux", "linux/", "/amd64", "linux//v7", "linux/arm/", "linux/arm/v7/x",
                          "linux/am d64", "linux/amd64\n"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(FailsWith(parse_platform(bad), EINVAL, "invalid platform \"" + bad + "\""));
  }
}

Descriptor for_platform(std::string_view text, const Digest& d = kLayer1) {
  Descriptor desc{std::string(media::kOciManifest), d, 1};
  auto p = parse_platform(text);
  EXPECT_TRUE(p.has_value()) << text;
  if (p) desc.platform = *p;
  return desc;
}

TEST(PlatformSelect, TakesTheExactOsAndArchitecture) {
  Index i;
  i.manifests = {for_platform("windows/amd64", kLayer2), for_platform("linux/arm64", kLayer2),
                 for_platform("linux/amd64", kLayer1), for_platform("linux/amd64", kDiff1)};
  auto d = select_platform(i, {"amd64", "linux", "", "", {}});
  ASSERT_TRUE(d.has_value()) << d.error().what();
  EXPECT_EQ(d->digest, kLayer1);  // the first of the two
}

TEST(PlatformSelect, MatchesTheVariant) {
  Index i;
  i.manifests = {for_platform("linux/arm/v6", kLayer1), for_platform("linux/arm/v7", kLayer2)};
  auto v7 = select_platform(i, {"arm", "linux", "v7", "", {}});
  ASSERT_TRUE(v7.has_value()) << v7.error().what();
  EXPECT_EQ(v7->digest, kLayer2);
  auto v6 = select_platform(i, {"arm", "linux", "v6", "", {}});
  ASSERT_TRUE(v6.has_value()) << v6.error().what();
  EXPECT_EQ(v6->digest, kLayer1);
  // No variant wanted: the first arm image.
  auto any = select_platform(i, {"arm", "linux", "", "", {}});
  ASSERT_TRUE(any.has_value()) << any.error().what();
  EXPECT_EQ(any->digest, kLayer1);
  // No v5 image, and v7 is not taken for one.
  EXPECT_TRUE(FailsWith(select_platform(i, {"arm", "linux", "v5", "", {}}), ENOENT,
                        "no image for linux/arm/v5 in the index (it has linux/arm/v6, linux/arm/v7)"));
}

TEST(PlatformSelect, Arm64TakesV8OrNoVariant) {
  const Platform arm64_v8{"arm64", "linux", "v8", "", {}};
  const Platform arm64{"arm64", "linux", "", "", {}};
  Index plain;
  plain.manifests = {for_platform("linux/amd64", kLayer1), for_platform("linux/arm64", kLayer2)};
  for (const auto& wanted : {arm64_v8, arm64}) {
    auto d = select_platform(plain, wanted);
    ASSERT_TRUE(d.has_value()) << d.error().what();
    EXPECT_EQ(d->digest, kLayer2);
  }

  Index v8;
  v8.manifests = {for_platform("linux/amd64", kLayer1), for_platform("linux/arm64/v8", kLayer2)};
  for (const auto& wanted : {arm64_v8, arm64}) {
    auto d = select_platform(v8, wanted);
    ASSERT_TRUE(d.has_value()) << d.error().what();
    EXPECT_EQ(d->digest, kLayer2);
  }

  // With both, v8 is the closer match for a v8 host, whatever the order.
  Index both;
  both.manifests = {for_platform("linux/arm64", kLayer1), for_platform("linux/arm64/v8", kLayer2)};
  auto d = select_platform(both, arm64_v8);
  ASSERT_TRUE(d.has_value()) << d.error().what();
  EXPECT_EQ(d->digest, kLayer2);

  // Only arm64 is lenient: arm/v7 wanted does not take a plain arm image.
  Index arm;
  arm.manifests = {for_platform("linux/arm", kLayer1), for_platform("linux/arm64/v9", kLayer2)};
  EXPECT_TRUE(
      FailsWith(select_platform(arm, {"arm", "linux", "v7", "", {}}), ENOENT, "no image for linux/arm/v7"));
  EXPECT_TRUE(FailsWith(select_platform(arm, arm64_v8), ENOENT, "no image for linux/arm64/v8"));
}

TEST(PlatformSelect, NoneMatchingListsThePlatformsTheIndexHas) {
  Index i;
  Descriptor attestation{std::string(media::kOciManifest), kDiff2, 1};
  attestation.platform = Platform{"unknown", "unknown", "", "", {}};
  Descriptor unnamed{std::string(media::kOciManifest), kDiff2, 1};
  i.manifests = {for_platform("linux/arm64"), attestation, for_platform("linux/s390x"), unnamed,
                 for_platform("linux/arm64", kLayer2)};
  EXPECT_TRUE(FailsWith(select_platform(i, {"amd64", "linux", "", "", {}}), ENOENT,
                        "no image for linux/amd64 in the index (it has linux/arm64, linux/s390x)"));
  EXPECT_TRUE(FailsWith(select_platform(Index{}, {"amd64", "linux", "", "", {}}), ENOENT,
                        "no image for linux/amd64 in the index (it names no platforms)"));
}

}  // namespace
}  // namespace husk::image
