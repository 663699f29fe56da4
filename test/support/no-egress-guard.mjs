// Test-time guard: any DNS lookup or connection to a host outside loopback throws, so no test,
// no sandbox start-up and no process a test spawns can reach the network. Plain JavaScript so
// that NODE_OPTIONS="--import=<this file>" can load it into any Node process, TypeScript or not.
import dns from 'node:dns';
import net from 'node:net';

const INSTALLED = Symbol.for('elevate.noEgressGuard');

export class EgressBlockedError extends Error {
  constructor(target) {
    super(`network egress blocked in tests: ${String(target).slice(0, 200)} is not a loopback address`);
    this.name = 'EgressBlockedError';
    this.code = 'ERR_EGRESS_BLOCKED';
  }
}

export function isLoopbackHost(host) {
  if (typeof host !== 'string' || host.length === 0) return false;
  const h = host.toLowerCase().replace(/^\[/, '').replace(/\]$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

function checkAddresses(hostname, addresses) {
  for (const a of addresses) {
    const address = typeof a === 'string' ? a : a?.address;
    if (!isLoopbackHost(address)) throw new EgressBlockedError(`${hostname} -> ${address}`);
  }
}

/** The host a Socket#connect call targets, or undefined for IPC (a path). */
function connectHost(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (first === null || first === undefined) return 'localhost';
  if (typeof first === 'object') {
    if (first.path !== undefined) return undefined;
    return first.host ?? 'localhost';
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a pipe path
  return typeof args[1] === 'string' ? args[1] : 'localhost';
}

export function installNoEgressGuard() {
  if (globalThis[INSTALLED]) return;
  globalThis[INSTALLED] = true;

  const lookup = dns.lookup;
  dns.lookup = function guardedLookup(hostname, options, callback) {
    if (!isLoopbackHost(hostname)) throw new EgressBlockedError(hostname);
    const cb = typeof options === 'function' ? options : callback;
    const opts = typeof options === 'function' ? {} : options;
    return lookup.call(dns, hostname, opts, (err, address, family) => {
      if (err) return cb(err);
      try {
        checkAddresses(hostname, Array.isArray(address) ? address : [address]);
      } catch (e) {
        return cb(e);
      }
      cb(null, address, family);
    });
  };

  const promiseLookup = dns.promises.lookup;
  dns.promises.lookup = async function guardedPromiseLookup(hostname, options) {
    if (!isLoopbackHost(hostname)) throw new EgressBlockedError(hostname);
    const result = await promiseLookup.call(dns.promises, hostname, options);
    checkAddresses(hostname, Array.isArray(result) ? result : [result]);
    return result;
  };

  // resolve* bypass /etc/hosts and always query a DNS server: refuse them outright
  const refuse = (name) =>
    function guardedResolve(hostname) {
      throw new EgressBlockedError(`${name}(${hostname})`);
    };
  for (const name of Object.keys(dns)) {
    if (/^resolve/.test(name) && typeof dns[name] === 'function') dns[name] = refuse(`dns.${name}`);
  }
  for (const name of Object.keys(dns.promises)) {
    if (/^resolve/.test(name) && typeof dns.promises[name] === 'function') dns.promises[name] = refuse(`dns.promises.${name}`);
  }
  for (const Resolver of [dns.Resolver, dns.promises.Resolver]) {
    for (const name of Object.getOwnPropertyNames(Resolver.prototype)) {
      if (/^resolve/.test(name)) Resolver.prototype[name] = refuse(`Resolver.${name}`);
    }
  }

  // Every TCP/TLS client socket (http, https, undici's fetch, tls.connect) goes through here.
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const host = connectHost(args);
    if (host !== undefined && !isLoopbackHost(host)) throw new EgressBlockedError(host);
    return connect.apply(this, args);
  };
}

installNoEgressGuard();
