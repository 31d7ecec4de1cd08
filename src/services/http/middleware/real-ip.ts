/**
 * `real_ip`: when the peer is trusted (`real_ip.trusted.subnets`, default the private and loopback ranges, or
 * `real_ip.trust_all`), the client address becomes True-Client-IP, else X-Real-IP, else the first
 * X-Forwarded-For entry, when that is an IP. As in Wippy the new address has no port.
 */
import { BlockList, isIP } from 'net';
import { listOption, type Middleware } from './types';

const DEFAULT_SUBNETS = '127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16,100.64.0.0/10,::1/128,fc00::/7,fe80::/10';

export function subnetList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, bits] = cidr.split('/');
    const family = isIP(net);
    if (family === 0 || bits === undefined || !/^\d+$/.test(bits)) throw new Error(`invalid subnet "${cidr}"`);
    list.addSubnet(net, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

function trusted(list: BlockList, ip: string): boolean {
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

export const realIp: Middleware = {
  name: 'real_ip',
  make(o) {
    const trustAll = o['real_ip.trust_all'] === 'true';
    const subnets = subnetList(listOption(o, ['real_ip.trusted.subnets', 'trusted_subnets'], DEFAULT_SUBNETS));
    return (next) => (x) => {
      if (trustAll || trusted(subnets, x.req.socket.remoteAddress ?? '')) {
        const h = x.req.headers;
        const first = (v: string | string[] | undefined): string => (Array.isArray(v) ? v[0] : v ?? '');
        let ip = first(h['true-client-ip']) || first(h['x-real-ip']);
        if (ip === '') ip = first(h['x-forwarded-for']).split(',')[0].trim();
        if (ip !== '' && isIP(ip) !== 0) x.remoteAddr = ip;
      }
      return next(x);
    };
  },
};
