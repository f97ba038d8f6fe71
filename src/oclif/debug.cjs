/**
 * What the CLI bundle gives oclif in place of `debug`. oclif makes a debug logger for every plugin and step of
 * every start, which loads debug with supports-color and ms even though nothing is printed unless DEBUG names a
 * namespace. In Node, DEBUG is the only way to turn debug output on (nothing in arcmesh or oclif calls
 * `debug.enable`), so without it every logger is silent and the real package is never loaded.
 */
'use strict';

function silent() {}
silent.enabled = false;
silent.extend = () => silent;

module.exports = function createDebug(namespace) {
  return process.env.DEBUG ? require('debug')(namespace) : silent;
};
