#!/usr/bin/env bats
# husk pull killed (SIGKILL, HUSK_FAULT=STEP: src/base/fault.hpp) from a real
# registry on 127.0.0.1 with a blob half-downloaded, a layer half-unpacked, a
# layer linked but not in place, the layers in but no image, the manifest
# stored but not named: `image ls` works and does not show the image, gc
# (`image prune`) clears what was left, a second pull completes, and the
# store holds nothing half-made.

load ../lib/assert.bash
load ../lib/fixtures.bash
load ../lib/registry.bash
load ../lib/image.bash

# With image.bash's teardown_file: the leak check of the whole file.
setup_file() { image_file_setup; }

setup() {
  image_setup husk-faultpull
  registry_start "$T/registry"
  hk image inspect busybox >/dev/null
  hk push -q busybox "$REGISTRY/bb:1" >/dev/null
  R2=$T/store2
}

teardown() {
  registry_stop
  image_teardown
}

h2() { "$HUSK" --root "$R2" "$@"; }

# pull_crash STEP : the pull dies of SIGKILL at STEP; then the store is
# consistent, gc clears it, and the image pulls and runs.
pull_crash() {
  local step=$1
  run env HUSK_FAULT="$step" "$HUSK" --root "$R2" pull "$REGISTRY/bb:1"
  if [ "$status" -ne 137 ]; then
    printf 'expected death by SIGKILL (137) at %s, got %s: %s\n' "$step" "$status" "$output" >&2
    return 1
  fi
  run h2 image ls --format '{{.Repository}}:{{.Tag}}'
  assert_status 0
  [[ $output != *"bb"* ]] || { echo "image ls shows the half-pulled image: $output" >&2; return 1; }
  run h2 image inspect "$REGISTRY/bb:1"
  [ "$status" -ne 0 ]
  run h2 image prune
  assert_status 0
  R=$R2 assert_store_whole "gc after $step"
  assert_eq "" "$(find "$R2/l" -xtype l)" "dangling short links after gc"
  run h2 pull "$REGISTRY/bb:1"
  assert_status 0
  R=$R2 assert_store_whole "pull after $step"
  run h2 run --rm "$REGISTRY/bb:1" echo pulled
  assert_status 0
  assert_eq pulled "$output"
}

@test "faults: pull.blob.partial: a layer blob half-downloaded" {
  pull_crash pull.blob.partial
}

@test "faults: pull.layer.partial: a layer half-unpacked" {
  pull_crash pull.layer.partial
}

@test "faults: pull.layer.linked: a layer's short link made, the layer not in place" {
  pull_crash pull.layer.linked
}

@test "faults: pull.image.layers: every layer in, no image recorded" {
  pull_crash pull.image.layers
}

@test "faults: pull.image.blobs: config and manifest stored, no name: not an image, gc removes them" {
  pull_crash pull.image.blobs
}

@test "faults: a pull killed at the manifest keeps the image a second store already had intact" {
  run h2 pull "$REGISTRY/bb:1"
  assert_status 0
  hk push -q busybox "$REGISTRY/bb:2" >/dev/null
  run env HUSK_FAULT=pull.image.blobs "$HUSK" --root "$R2" pull "$REGISTRY/bb:2"
  # Every layer and blob was there: the pull gets to the manifest only.
  assert_status 137
  run h2 image prune
  assert_status 0
  run h2 run --rm "$REGISTRY/bb:1" echo still
  assert_status 0
  assert_eq still "$output"
}
