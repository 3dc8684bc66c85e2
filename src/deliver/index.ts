/**
 * The delivery runner: builds the configured channels and tries every one, independently. A failed
 * channel never stops the others; the caller takes the exit code from the worst result.
 */
import type { DeliveryConfig } from '../config/schema';
import { createEmailChannel } from './email';
import { createGithubSummaryChannel } from './github-summary';
import { createSlackChannel } from './slack';
import type { DeliveryChannel, DeliveryContext, DeliveryResult } from './types';

/** `write` takes GitHub workflow commands (annotations), which must reach stdout. */
export function channelsFor(
  delivery: DeliveryConfig,
  options: { write?: (line: string) => void } = {},
): DeliveryChannel[] {
  const channels: DeliveryChannel[] = [];
  if (delivery.githubSummary !== false) {
    channels.push(
      createGithubSummaryChannel(delivery.githubSummary, options.write ? { write: options.write } : {}),
    );
  }
  if (delivery.email) channels.push(createEmailChannel(delivery.email));
  if (delivery.slack) channels.push(createSlackChannel(delivery.slack));
  return channels;
}

export async function deliverAll(
  channels: readonly DeliveryChannel[],
  ctx: DeliveryContext,
): Promise<DeliveryResult[]> {
  return Promise.all(
    channels.map(async (channel): Promise<DeliveryResult> => {
      try {
        return await channel.deliver(ctx);
      } catch (error) {
        // Channels should return failures, not throw; if one throws anyway, it still fails alone.
        return { channel: channel.name, status: 'failed', error: (error as Error).message };
      }
    }),
  );
}
