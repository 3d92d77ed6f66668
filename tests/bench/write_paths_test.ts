import assert from "node:assert/strict";
import { measureWritePath } from "../../bench/write_paths.ts";

for (const path of ["deno", "node", "node-cork", "deno-frames"] as const) {
  Deno.test(`write_paths delivers every batch to every member through ${path}`, async () => {
    // The sink process exits only once every member has read every byte.
    const result = await measureWritePath(path, 3, 5, 4);
    assert.equal(result.path, path);
    assert.ok(result.framesPerS > 0 && Number.isFinite(result.framesPerS));
    assert.ok(result.writesPerS > 0);
  });
}
