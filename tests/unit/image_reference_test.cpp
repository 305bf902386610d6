// image/reference: names mean what they mean to docker (distribution/reference's
// ParseNormalizedNamed + TagNameOnly, FamiliarString), and what docker refuses
// is refused with EINVAL naming the input.
#include "image/reference.hpp"

#include <gtest/gtest.h>

#include "test_helpers.hpp"

namespace husk::image {
namespace {

using testing::FailsWith;

const std::string kHex = "7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa";

struct Normalised {
  std::string input;
  std::string domain;
  std::string path;
  std::string tag;
  std::string digest;  // "" for none
  std::string full;    // str()
  std::string familiar;
};

// What docker makes of each (checked against distribution/reference's own tables).
const Normalised kTable[] = {
    {"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
     "busybox:latest"},
    {"library/busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
     "busybox:latest"},
    {"docker.io/busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
     "busybox:latest"},
    {"docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36", "",
     "docker.io/library/busybox:1.36", "busybox:1.36"},
    {"index.docker.io/busybox", "docker.io", "library/busybox", "latest", "",
     "docker.io/library/busybox:latest", "busybox:latest"},
    {"index.docker.io/user/app", "docker.io", "user/app", "latest", "", "docker.io/user/app:latest",
     "user/app:latest"},
    {"user/app:v2", "docker.io", "user/app", "v2", "", "docker.io/user/app:v2", "user/app:v2"},
    {"other/library", "docker.io", "other/library", "latest", "", "docker.io/other/library:latest",
     "other/library:latest"},
    // Only a single component under library/ is an official image.
    {"docker.io/library/a/b", "docker.io", "library/a/b", "latest", "", "docker.io/library/a/b:latest",
     "library/a/b:latest"},
    {"localhost/x", "localhost", "x", "latest", "", "localhost/x:latest", "localhost/x:latest"},
    {"localhost:5000/a/b:tag", "localhost:5000", "a/b", "tag", "", "localhost:5000/a/b:tag",
     "localhost:5000/a/b:tag"},
    {"example.com/a", "example.com", "a", "latest", "", "example.com/a:latest", "example.com/a:latest"},
    {"example.com:8000/private/moonbase", "example.com:8000", "private/moonbase", "latest", "",
     "example.com:8000/private/moonbase:latest", "example.com:8000/private/moonbase:latest"},
    {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "latest", "", "xn--n3h.com:18080/foo:latest",
     "xn--n3h.com:18080/foo:latest"},
    {"test-com:8080/foo", "test-com:8080", "foo", "latest", "", "test-com:8080/foo:latest",
     "test-com:8080/foo:latest"},
    {"127.0.0.1:5000/x", "127.0.0.1:5000", "x", "latest", "", "127.0.0.1:5000/x:latest",
     "127.0.0.1:5000/x:latest"},
    {"[::1]:5000/x", "[::1]:5000", "x", "latest", "", "[::1]:5000/x:latest", "[::1]:5000/x:latest"},
    {"[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", "latest", "",
     "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest", "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest"},
    {"a:tag@sha256:" + kHex, "docker.io", "library/a", "tag", "sha256:" + kHex,
     "docker.io/library/a:tag@sha256:" + kHex, "a:tag@sha256:" + kHex},
    {"name@sha256:" + kHex, "docker.io", "library/name", "", "sha256:" + kHex,
     "docker.io/library/name@sha256:" + kHex, "name@sha256:" + kHex},
    {"quay.io/org/team/app@sha256:" + kHex, "quay.io", "org/team/app", "", "sha256:" + kHex,
     "quay.io/org/team/app@sha256:" + kHex, "quay.io/org/team/app@sha256:" + kHex},
    // A first component with upper case can only be a host.
    {"Foo/bar", "Foo", "bar", "latest", "", "Foo/bar:latest", "Foo/bar:latest"},
    {"Upper/case", "Upper", "case", "latest", "", "Upper/case:latest", "Upper/case:latest"},
    // No '.', ':' or "localhost": a Docker Hub namespace, not a host.
    {"test_com/foo", "docker.io", "test_com/foo", "latest", "", "docker.io/test_com/foo:latest",
     "test_com/foo:latest"},
    // A single component is never a host: "localhost:5000" is localhost tagged 5000.
    {"localhost:5000", "docker.io", "library/localhost", "5000", "", "docker.io/library/localhost:5000",
     "localhost:5000"},
    {"localhost", "docker.io", "library/localhost", "latest", "", "docker.io/library/localhost:latest",
     "localhost:latest"},
    {"192.168.0.1", "docker.io", "library/192.168.0.1", "latest", "", "docker.io/library/192.168.0.1:latest",
     "192.168.0.1:latest"},
    {"dock__er/do.c-k---er_x:Latest_1.0-rc", "docker.io", "dock__er/do.c-k---er_x", "Latest_1.0-rc", "",
     "docker.io/dock__er/do.c-k---er_x:Latest_1.0-rc", "dock__er/do.c-k---er_x:Latest_1.0-rc"},
    {"busybox:_x", "docker.io", "library/busybox", "_x", "", "docker.io/library/busybox:_x", "busybox:_x"},
    // 63 hex digits are a name; only 64 are refused as an image id.
    {kHex.substr(1), "docker.io", "library/" + kHex.substr(1), "latest", "",
     "docker.io/library/" + kHex.substr(1) + ":latest", kHex.substr(1) + ":latest"},
    {"docker.io/" + kHex, "docker.io", "library/" + kHex, "latest", "",
     "docker.io/library/" + kHex + ":latest", kHex + ":latest"},
};

TEST(ReferenceParse, NormalisesLikeDocker) {
  for (const auto& want : kTable) {
    SCOPED_TRACE(want.input);
    auto r = parse_reference(want.input);
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_EQ(r->domain, want.domain);
    EXPECT_EQ(r->path, want.path);
    EXPECT_EQ(r->tag, want.tag);
    EXPECT_EQ(r->digest ? r->digest->str() : "", want.digest);
    EXPECT_EQ(r->name(), want.domain + "/" + want.path);
    EXPECT_EQ(r->str(), want.full);
    EXPECT_EQ(r->familiar(), want.familiar);
  }
}

TEST(ReferenceParse, FullAndFamiliarFormsParseBackToTheSameReference) {
  for (const auto& want : kTable) {
    SCOPED_TRACE(want.input);
    auto r = parse_reference(want.input);
    ASSERT_TRUE(r.has_value()) << r.error().what();
    auto full = parse_reference(r->str());
    ASSERT_TRUE(full.has_value()) << full.error().what();
    EXPECT_EQ(*full, *r);
    auto familiar = parse_reference(r->familiar());
    ASSERT_TRUE(familiar.has_value()) << familiar.error().what();
    EXPECT_EQ(*familiar, *r);
  }
}

TEST(ReferenceParse, KeepsADigestOfEitherAlgorithm) {
  const std::string hex512(128, 'e');
  auto r = parse_reference("localhost:5000/x@sha512:" + hex512);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  ASSERT_TRUE(r->digest.has_value());
  EXPECT_EQ(r->digest->algorithm, "sha512");
  EXPECT_EQ(r->digest->hex, hex512);
  EXPECT_EQ(r->tag, "");
}

TEST(ReferenceParse, TagOf128CharactersIsTheLongest) {
  const std::string tag = "v" + std::string(127, 'x');
  auto r = parse_reference("busybox:" + tag);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->tag, tag);
  EXPECT_TRUE(FailsWith(parse_reference("busybox:" + tag + "x"), EINVAL, "invalid reference format"));
}

TEST(ReferenceParse, NameOf255CharactersIsTheLongest) {
  // The limit counts the normalised name, domain included.
  const std::string domain = "example.com/";
  auto longest = parse_reference(domain + std::string(255 - domain.size(), 'a'));
  ASSERT_TRUE(longest.has_value()) << longest.error().what();
  EXPECT_EQ(longest->name().size(), 255u);
  EXPECT_TRUE(FailsWith(parse_reference(domain + std::string(256 - domain.size(), 'a')), EINVAL,
                        "must not be more than 255 characters"));
  // "docker.io/library/" counts too, though the user did not type it.
  const size_t hub = std::string("docker.io/library/").size();
  EXPECT_TRUE(parse_reference(std::string(255 - hub, 'b')).has_value());
  EXPECT_TRUE(FailsWith(parse_reference(std::string(256 - hub, 'b')), EINVAL,
                        "must not be more than 255 characters"));
}

TEST(ReferenceParse, RefusesUpperCaseInTheRepositoryPath) {
  const std::string upper[] = {"docker/Docker",           "example.com/Upper/case", "Busybox",
                               "docker.io/docker/Docker", "localhost:5000/Foo:tag", "busyBox@sha256:" + kHex};
  for (const auto& bad : upper) {
    SCOPED_TRACE(bad);
    auto r = parse_reference(bad);
    EXPECT_TRUE(FailsWith(r, EINVAL, "invalid reference format: \"" + bad + "\""));
    EXPECT_TRUE(FailsWith(r, EINVAL, "repository name must be lowercase"));
  }
}

TEST(ReferenceParse, RefusesMalformedReferences) {
  const std::string bad[] = {
      "",
      "busybox:",
      "busybox:-tag",
      "busybox:.tag",
      "busybox:a/b",
      "busybox:a:b",
      "busybox:lat est",
      "a//b",
      "docker///docker",
      "docker/",
      "/busybox",
      "-a",
      "-docker/docker",
      "docker-/docker",
      "-docker.io/docker/docker",
      "_docker/_docker",
      "____/____",
      "dock..er/docker",
      "dock_.er/docker",
      "dock-.er/docker",
      "dock___er/docker",
      "a b",
      "https://github.com/docker/docker",
      "[fc00::1]",
      "[fc00::1]:5000",
      "fc00::1:5000/debian",
      "[fe80::1%eth0]:5000/debian",
      "[2001:db8:3:4::192.0.2.33]:5000/debian",
      "[]:5000/x",
      "[::1]5000/x",
      "localhost:/x",
      "localhost:abc/x",
      "example.com:80:81/x",
      "example..com/x",
      "-example.com/x",
      "example-.com/x",
      "busybox@",
      "busybox@sha256:abc",
      "busybox@sha256:" + kHex + "0",
      "busybox@md5:d41d8cd98f00b204e9800998ecf8427e",
      "busybox@sha256:" + kHex + "@sha256:" + kHex,
      "busybox@sha256:" + kHex + ":tag",
      "busybox:tag@",
  };
  for (const auto& text : bad) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(FailsWith(parse_reference(text), EINVAL, "invalid reference format: \"" + text + "\""));
  }
}

TEST(ReferenceParse, SaysWhatIsWrong) {
  EXPECT_TRUE(FailsWith(parse_reference(""), EINVAL, "empty"));
  EXPECT_TRUE(FailsWith(parse_reference("busybox:"), EINVAL, "tag"));
  EXPECT_TRUE(FailsWith(parse_reference("busybox@sha256:abc"), EINVAL, "invalid digest \"sha256:abc\""));
  EXPECT_TRUE(FailsWith(parse_reference("localhost:abc/x"), EINVAL,
                        "\"localhost:abc\" is not a valid registry host"));
  EXPECT_TRUE(FailsWith(parse_reference("a//b"), EINVAL, "repository name"));
}

TEST(ReferenceParse, RefusesAFullImageIdAsAName) {
  EXPECT_TRUE(FailsWith(parse_reference(kHex), EINVAL, "image id"));
}

// Docker takes a first component that is not a valid host but is a valid
// path component ("my_registry.io") as a name without any domain; husk has
// no use for a name it cannot pull from, so it refuses it.
TEST(ReferenceParse, RefusesAHostThatIsNotOne) {
  EXPECT_TRUE(FailsWith(parse_reference("my_registry.io/app"), EINVAL, "not a valid registry host"));
}

TEST(ReferenceIdPrefix, AcceptsThreeToSixtyFourLowerHexDigits) {
  EXPECT_TRUE(looks_like_id_prefix("abc"));
  EXPECT_TRUE(looks_like_id_prefix("0123456789abcdef"));
  EXPECT_TRUE(looks_like_id_prefix(kHex));
  EXPECT_FALSE(looks_like_id_prefix(""));
  EXPECT_FALSE(looks_like_id_prefix("ab"));
  EXPECT_FALSE(looks_like_id_prefix(kHex + "0"));
  EXPECT_FALSE(looks_like_id_prefix("ABC"));
  EXPECT_FALSE(looks_like_id_prefix("abg"));
  EXPECT_FALSE(looks_like_id_prefix("sha256:abc"));
  EXPECT_FALSE(looks_like_id_prefix("busybox"));
}

}  // namespace
}  // namespace husk::image
