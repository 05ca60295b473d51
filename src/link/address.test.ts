import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inIpv4Subnet, ipv4EndpointProblem, isIpv4 } from './address.ts';

test('IPv4 literals and subnets', () => {
  assert.ok(isIpv4('192.168.1.20') && !isIpv4('192.168.1') && !isIpv4('256.1.1.1') && !isIpv4('::1') && !isIpv4('01.2.3.4'));
  assert.ok(inIpv4Subnet('192.168.1.200', '192.168.1.20', 24));
  assert.ok(!inIpv4Subnet('192.168.2.1', '192.168.1.20', 24));
  assert.ok(inIpv4Subnet('10.1.2.3', '127.0.0.1', 0));
});

test('an advertised endpoint must be a real port on a unicast address of our subnet', () => {
  const gw = ['192.168.1.20', 24] as const;
  assert.equal(ipv4EndpointProblem({ address: '192.168.1.7', port: 20808 }, ...gw), undefined);
  assert.match(ipv4EndpointProblem({ address: '192.168.1.7', port: 0 }, ...gw)!, /port 0/);
  assert.match(ipv4EndpointProblem({ address: '192.168.1.7', port: 70000 }, ...gw)!, /port/);
  assert.match(ipv4EndpointProblem({ address: '8.8.8.8', port: 53 }, ...gw)!, /not on 192\.168\.1\.20\/24/);
  assert.match(ipv4EndpointProblem({ address: '192.168.1.255', port: 9 }, ...gw)!, /broadcast/);
  assert.match(ipv4EndpointProblem({ address: '192.168.1.0', port: 9 }, ...gw)!, /network/);
  assert.match(ipv4EndpointProblem({ address: '224.0.0.1', port: 9 }, '224.0.0.2', 8)!, /unicast/);
  assert.equal(ipv4EndpointProblem({ address: '127.5.6.7', port: 9 }, '127.0.0.1', 8), undefined, 'all of 127/8 on loopback');
});
