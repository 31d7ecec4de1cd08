import { runFixture } from '../helpers/lua';

describe('channels and select', () => {
  test('select over three channels with a timeout', async () => {
    expect(await runFixture('engine/select_three.lua')).toEqual(['from b', 'from a', 'from c', 'timeout']);
  });
});
