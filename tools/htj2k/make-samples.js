// Writes the HTJ2K test codestreams in orchestrator/src/test/resources/htj2k/ (PlaneDecodingTest, Htj2kTranscoderTest):
// 64 x 64 single-component 16-bit lossless HTJ2K of the ramp (x * 37 + y * 101) % 4096, unsigned, and signed minus 2048;
// 64 x 48 three-component 8-bit lossless HTJ2K with the reversible colour transform (R = 4x, G = 5y, B = 3x + 2y, mod 256),
// encoded by OpenJPH (@cornerstonejs/codec-openjph 2.4.11, the encoder OHIF's codec package ships) so that RadFlow's
// decoder (OpenJPEG's opj_decompress) is checked against another implementation.
//   cd tools/htj2k && npm install --no-save @cornerstonejs/codec-openjph@2.4.11 && node make-samples.js ../../orchestrator/src/test/resources/htj2k
const codec = require('@cornerstonejs/codec-openjph');
const fs = require('fs');
const path = require('path');
const outDir = process.argv[2] || '.';
const write = (lib, signed) => {
  const w = 64, h = 64;
  const enc = new lib.HTJ2KEncoder();
  const buf = enc.getDecodedBuffer({width: w, height: h, bitsPerSample: 16, componentCount: 1, isSigned: signed,
    isUsingColorTransform: false});
  const px = signed ? new Int16Array(w * h) : new Uint16Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = (x * 37 + y * 101) % 4096;
    px[y * w + x] = signed ? v - 2048 : v;
  }
  buf.set(new Uint8Array(px.buffer));
  enc.setQuality(true, 0); // lossless
  enc.encode();
  const file = path.join(outDir, 'ramp-64x64-' + (signed ? 's16' : 'u16') + '.j2c');
  fs.writeFileSync(file, Buffer.from(enc.getEncodedBuffer()));
  console.log('wrote', file);
};
const writeColour = (lib) => {
  const w = 64, h = 48;
  const enc = new lib.HTJ2KEncoder();
  const buf = enc.getDecodedBuffer({width: w, height: h, bitsPerSample: 8, componentCount: 3, isSigned: false,
    isUsingColorTransform: true});
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 3;
    buf[i] = (x * 4) & 255; buf[i + 1] = (y * 5) & 255; buf[i + 2] = (x * 3 + y * 2) & 255;
  }
  enc.setQuality(true, 0); // lossless
  enc.encode();
  const file = path.join(outDir, 'rgb-64x48-u8.j2c');
  fs.writeFileSync(file, Buffer.from(enc.getEncodedBuffer()));
  console.log('wrote', file);
};
const go = (lib) => { write(lib, false); write(lib, true); writeColour(lib); };
if (typeof codec === 'function') { codec().then(go); } else { codec.onRuntimeInitialized = () => go(codec); }
