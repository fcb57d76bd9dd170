#!/usr/bin/env node
// Until the demo exists (issue "Environment stacks, the demo, and release tooling"), say so and fail clearly.
"use strict";
process.stderr.write(
    "The demo is not built yet: `npm run demo` will start the emulator, clone production into dev and qa, apply\n" +
        "their stacks and show drift being repaired. Meanwhile `npm test` exercises everything that exists.\n",
);
process.exit(2);
