// Registers every file.* handler with the session's action router and
// returns the file domain's message handler (`file.upload`), which the
// session routes to it (issue 3, "File actions").
import type { ChannelMessage } from '../../protocol/wire/messages';
import { findHandler } from './find-action';
import type { ActionRegistry } from '../actions/action-router';
import type { FileDeps } from './file-handler';
import { KeptStore } from './kept-store';
import { listHandler, readHandler, statHandler } from './read-actions';
import { restoreHandler } from './restore-action';
import { deleteHandler, mkdirHandler, renameHandler } from './tree-actions';
import { UploadStager } from './upload-stager';
import { editHandler, writeHandler } from './write-actions';

/** The file domain of one session. */
export interface FileDomain {
  /** Handles a file-domain message from the engineer; false when the message is not one. */
  handleMessage(message: ChannelMessage): boolean;
  /** Deletes staged uploads (also done when the link's signal aborts). */
  close(): Promise<void>;
  readonly store: KeptStore;
}

/** Registers the ten file.* handlers; call once per accepted session. */
export function registerFileActions(router: ActionRegistry, deps: FileDeps): FileDomain {
  const store = new KeptStore(deps.dataDir);
  const stager = new UploadStager({
    dataDir: deps.dataDir,
    link: deps.link,
    maxBytes: () => deps.rules.maxWriteBytes,
  });
  router.register('file.list', listHandler(deps));
  router.register('file.stat', statHandler(deps));
  router.register('file.read', readHandler(deps));
  router.register('file.find', findHandler(deps));
  router.register('file.write', writeHandler({ deps, stager, store }));
  router.register('file.edit', editHandler({ deps, stager, store }));
  router.register('file.mkdir', mkdirHandler(deps));
  router.register('file.rename', renameHandler(deps));
  router.register('file.delete', deleteHandler(deps, store));
  router.register('file.restore', restoreHandler(deps, store));
  return {
    store,
    handleMessage(message) {
      if (message.type !== 'file.upload') return false;
      stager.accept(message);
      return true;
    },
    close: () => stager.close(),
  };
}
