import { describe, expect, it } from 'vitest';
import { StreamChannels } from '../../platform/stream-channels';
import { AssentError, isAssentError } from '../../protocol/errors';

function refusal(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('StreamChannels', () => {
  it('lets a stream go on on the channel it began on, and refuses it on the next one', () => {
    const channels = new StreamChannels();
    channels.channelReplaced();
    const stream = channels.stream(2);
    stream.beforeSend();
    stream.beforeSend();
    channels.channelReplaced();
    const error = refusal(() => stream.beforeSend());
    expect(isAssentError(error, 'CHANNEL_CLOSED')).toBe(true);
    expect((error as { details?: unknown }).details).toEqual({ streamId: 2 });
    // Still refused later, and after yet another channel: the stream is over for good.
    expect(
      isAssentError(
        refusal(() => stream.beforeSend()),
        'CHANNEL_CLOSED',
      ),
    ).toBe(true);
    channels.channelReplaced();
    expect(
      isAssentError(
        refusal(() => stream.beforeSend()),
        'CHANNEL_CLOSED',
      ),
    ).toBe(true);
  });

  it('lets a stream that had sent nothing begin on the new channel', () => {
    const channels = new StreamChannels();
    const sent = channels.stream(2);
    const idle = channels.stream(4);
    sent.beforeSend();
    channels.channelReplaced();
    idle.beforeSend();
    idle.beforeSend();
    expect(refusal(() => idle.beforeSend())).toBeUndefined();
    expect(
      isAssentError(
        refusal(() => sent.beforeSend()),
        'CHANNEL_CLOSED',
      ),
    ).toBe(true);
  });

  it('judges each guard on its own: a stream begun anew under an old id is a new stream', () => {
    const channels = new StreamChannels();
    channels.stream(2).beforeSend();
    channels.channelReplaced();
    expect(refusal(() => channels.stream(2).beforeSend())).toBeUndefined();
  });

  it('a sender sends on the open link; with none open it throws and the stream has not begun', async () => {
    const channels = new StreamChannels();
    const sent: Array<[number, string]> = [];
    let open = false;
    const send = channels.sender(6, () => {
      if (!open) throw new AssentError('CHANNEL_CLOSED');
      return {
        sendStream: async (id, chunk) => void sent.push([id, Buffer.from(chunk).toString()]),
      };
    });
    await expect(send(Buffer.from('a'))).rejects.toMatchObject({ code: 'CHANNEL_CLOSED' });
    channels.channelReplaced();
    open = true;
    await send(Buffer.from('b'));
    expect(sent).toEqual([[6, 'b']]);
    channels.channelReplaced();
    await expect(send(Buffer.from('c'))).rejects.toMatchObject({
      code: 'CHANNEL_CLOSED',
      details: { streamId: 6 },
    });
    expect(sent).toEqual([[6, 'b']]);
  });
});
