// Mocha's spec reporter plus a machine-readable tally for test/run.js: on 'end' the run's stats
// are written to the file named by TANDEM_TEST_STATS.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const file = process.env.TANDEM_TEST_STATS;
      if (file) fs.writeFileSync(file, JSON.stringify(runner.stats));
    });
  }
}

module.exports = CountingReporter;
