import { runFixture } from '../helpers/lua';

describe('channels and select', () => {
  test('select over three channels with a timeout', async () => {
    expect(await runFixture('engine/select_three.lua')).toEqual(['from b', 'from a', 'from c', 'timeout']);
  });

  describe('the rules of src/modules/channel/spec.md', () => {
    let r: Record<string, Record<string, unknown>>;
    beforeAll(async () => {
      r = (await runFixture('engine/channel_rules.lua')) as typeof r;
    });

    test('an unbuffered send blocks until a receiver takes the value', () => {
      // The spawned child runs first and blocks in send; 'sent' comes only after the receive.
      expect(r.unbuffered.log).toEqual(['sending', 'receiving', 'received hello', 'sent']);
      expect(r.unbuffered.ok).toBe(true);
    });

    test('a buffered channel is FIFO and sends into free space return true at once', () => {
      expect(r.buffered.sent).toEqual([true, true, true]);
      expect(r.buffered.order).toEqual([1, 2, 3]);
    });

    test('close: buffered values drain, then nil/false repeatedly; send raises; blocked parties are released', () => {
      expect(r.close.drain).toEqual(['x', true]);
      expect(r.close.drain2).toEqual(['y', true]);
      expect(r.close.closed).toEqual([true, false]);
      expect(r.close.closed_again).toEqual([true, false]);
      expect(r.close.send_closed).toEqual([false, 'send on closed channel']);
      expect(r.close.blocked_receiver).toEqual([true, false]);
      expect(r.close.blocked_sender).toEqual([false, 'send on closed channel']);
    });

    test('select: first ready case in table order, default, send cases, closed channels, invalid cases', () => {
      const s = r.select;
      expect(s.first_ready_in_order).toEqual([true, 'B', true, true]);
      expect(s.default).toEqual([true, true, true]);
      expect(s.default_arg).toBe(true);
      expect(s.send_case).toEqual([true, 'sent value', true, 'sent value', true]);
      expect(s.closed_case).toEqual([true, true, false]);
      expect(s.closed_send_case).toEqual([false, 'send on closed channel']);
      expect(s.invalid_case).toEqual([false, 'select: case #1 is not a channel case (use ch:case_receive() or ch:case_send(v))']);
      expect(s.blocked_select).toEqual([true, 'late y']);
      expect(s.other_case_withdrawn).toBe(true);
      expect(s.select_send).toEqual([true, 99]);
      expect(s.select_send_received).toBe(99);
    });

    test('channel identity is stable', () => {
      expect(r.identity).toEqual([true, 'channel(0)', true, true]);
    });

    test('operations that can complete at once do not yield', () => {
      expect(r.no_yield).toEqual([true, 'abcs']);
    });

    test('channel.new rejects a negative size', () => {
      expect(r.new_errors).toEqual([false, 'channel size must not be negative']);
    });
  });
});
