#!/usr/bin/env bash
# The project's test command (npm test): prepares the machine, then type-checks, lints and runs jest.
# Extra arguments go to jest, e.g. `npm test -- test/integration/harness.spec.ts`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/prepare-machine.sh
# Node.js 24 from node_modules runs everything below, also when this script is not run by npm.
export PATH="$PWD/node_modules/.bin:$PATH"
npm run typecheck
npm run lint
# The end-to-end suites run the services' built output, as an operator would.
npm run build
npx jest --ci "$@"
