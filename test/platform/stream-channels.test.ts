import { describe, expect, it } from 'vitest';
import { StreamChannels } from '../../platform/stream-channels';
import { isAssentError } from '../../protocol/errors';

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
    channels.beforeSend(2);
    channels.beforeSend(2);
    channels.channelReplaced();
    const error = refusal(() => channels.beforeSend(2));
    expect(isAssentError(error, 'CHANNEL_CLOSED')).toBe(true);
    expect((error as { details?: unknown }).details).toEqual({ streamId: 2 });
    // Still refused later: the stream is over for good.
    expect(
      isAssentError(
        refusal(() => channels.beforeSend(2)),
        'CHANNEL_CLOSED',
      ),
    ).toBe(true);
  });

  it('lets a stream that had sent nothing begin on the new channel', () => {
    const channels = new StreamChannels();
    channels.beforeSend(2);
    channels.channelReplaced();
    channels.beforeSend(4);
    channels.beforeSend(4);
    expect(refusal(() => channels.beforeSend(4))).toBeUndefined();
  });
});
