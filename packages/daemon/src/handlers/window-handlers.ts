import { CcxError, type ClientsResult, type DetachResult, type SessionInfo } from '@ccx/shared';
import { unaryOn, type HandlerTable, type TargetDecl } from '../router.js';

const RUNNING: TargetDecl = { kind: 'running', notRunningHint: 'only a running session has a window and clients: see ccx list' };

/** resize (size and window-size policy), clients (who is attached), detach (end attach clients). */
export function windowHandlers(): HandlerTable {
  return {
    'session.resize': unaryOn(RUNNING, (params, { session }): SessionInfo => {
      if ((params.cols === undefined) !== (params.rows === undefined)) {
        throw new CcxError('E_USAGE', 'give both the width and the height', 'example: ccx resize ID 100x30');
      }
      if (params.cols === undefined && params.windowSize === undefined) {
        throw new CcxError('E_USAGE', 'nothing to change: give a size or --window-size', 'example: ccx resize ID 100x30, or ccx resize ID --window-size largest');
      }
      // The policy first: a size given with it is then the one that holds (with manual, until the next resize).
      if (params.windowSize !== undefined) session.setWindowSize(params.windowSize);
      if (params.cols !== undefined && params.rows !== undefined) session.resize(params.cols, params.rows);
      return session.info();
    }),
    'session.clients': unaryOn(RUNNING, (_params, { session }): ClientsResult => {
      const { cols, rows } = session.record;
      return { session: session.id, windowSize: session.windowSize, cols, rows, clients: session.clients.list() };
    }),
    'session.detach': unaryOn(RUNNING, (params, { session }): DetachResult => {
      const clients = session.clients;
      if (params.all && params.client !== undefined) throw new CcxError('E_USAGE', 'give either --all or --client N, not both');
      if (params.client !== undefined) {
        const client = clients.find(params.client);
        if (!client) {
          throw new CcxError('E_NOT_FOUND', `no client ${params.client} is attached to ${session.label}`, `see who is attached: ccx clients ${session.id}`);
        }
        client.detach();
        return { session: session.id, detached: [client.number] };
      }
      // Without --all, several clients are a question of which one: refuse rather than guess.
      if (!params.all && clients.count > 1) {
        const numbers = clients.all().map((c) => c.number);
        throw new CcxError(
          'E_AMBIGUOUS',
          `${clients.count} clients are attached to ${session.label} (${numbers.join(', ')})`,
          `detach one with: ccx detach ${session.id} --client ${numbers[0]}, or all with --all (see them: ccx clients ${session.id})`,
          { clients: numbers },
        );
      }
      return { session: session.id, detached: clients.detachAll() };
    }),
  };
}
