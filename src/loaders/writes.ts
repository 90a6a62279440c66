import { OPEN_VIEWER, requireWrite, type Viewer } from "../auth.js";
import type { CrispApi, Query } from "../crisp/client.js";
import {
  assignConversation,
  createConversation,
  removeConversation,
  setConversationState,
  updateConversationMeta,
} from "../crisp/conversations.js";
import {
  type OutgoingMessage,
  removeMessage,
  sendMessage,
  updateMessage,
} from "../crisp/messages.js";
import {
  createPeopleProfile,
  type ProfileChanges,
  removePeopleProfile,
  updatePeopleProfile,
} from "../crisp/people.js";
import { savePluginSettings } from "../crisp/plugin.js";
import { type RawAnswer, type RawWriteMethod, rawRequest } from "../crisp/raw.js";
import type { CrispConversation, CrispMessage } from "../crisp/types.js";
import { createWebsite, deleteWebsite } from "../crisp/website.js";
import { ErrorCode, GatewayError } from "../errors.js";
import type { Loaders } from "./index.js";

/**
 * Crisp writes, each followed by dropping exactly what the request's loaders hold for what it
 * changed, so the mutation's result and every later field read Crisp's new state.
 *
 * Writes are deliberately not bound to the client's abort signal: once a write is sent,
 * abandoning it half-way would leave the client unsure whether it happened. They are never
 * retried either; `sendMessage` takes a client fingerprint so a client can retry safely.
 */
export function createWrites(crisp: CrispApi, loaders: Loaders, viewer: Viewer = OPEN_VIEWER) {
  /** Write access, on a website the viewer may see (else it behaves like a missing one). */
  const allow = (websiteId: string) => {
    requireWrite(viewer);
    if (!loaders.visible(websiteId)) {
      throw new GatewayError(ErrorCode.NOT_FOUND, "Crisp has no such website for this token.");
    }
  };
  return {
    async createConversation(websiteId: string): Promise<string> {
      allow(websiteId);
      const sessionId = await createConversation(crisp, websiteId);
      loaders.forgetConversation(websiteId, sessionId);
      return sessionId;
    },
    async removeConversation(websiteId: string, sessionId: string): Promise<void> {
      allow(websiteId);
      await removeConversation(crisp, websiteId, sessionId);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async setConversationState(
      websiteId: string,
      sessionId: string,
      state: CrispConversation["state"],
    ) {
      allow(websiteId);
      await setConversationState(crisp, websiteId, sessionId, state);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async assignConversation(websiteId: string, sessionId: string, userId: string | null) {
      allow(websiteId);
      await assignConversation(crisp, websiteId, sessionId, userId);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async updateConversationMeta(
      websiteId: string,
      sessionId: string,
      meta: Parameters<typeof updateConversationMeta>[3],
    ) {
      allow(websiteId);
      await updateConversationMeta(crisp, websiteId, sessionId, meta);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async sendMessage(
      websiteId: string,
      sessionId: string,
      message: OutgoingMessage,
    ): Promise<number> {
      allow(websiteId);
      const fingerprint = await sendMessage(crisp, websiteId, sessionId, message);
      loaders.forgetConversation(websiteId, sessionId);
      return fingerprint;
    },
    async updateMessage(
      websiteId: string,
      sessionId: string,
      fingerprint: number,
      content: CrispMessage["content"],
    ) {
      allow(websiteId);
      await updateMessage(crisp, websiteId, sessionId, fingerprint, content);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async removeMessage(websiteId: string, sessionId: string, fingerprint: number) {
      allow(websiteId);
      await removeMessage(crisp, websiteId, sessionId, fingerprint);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async createPerson(websiteId: string, changes: ProfileChanges): Promise<string> {
      allow(websiteId);
      const peopleId = await createPeopleProfile(crisp, websiteId, changes);
      loaders.forgetPerson(websiteId, peopleId);
      return peopleId;
    },
    async updatePerson(websiteId: string, peopleId: string, changes: ProfileChanges) {
      allow(websiteId);
      await updatePeopleProfile(crisp, websiteId, peopleId, changes);
      loaders.forgetPerson(websiteId, peopleId);
    },
    async removePerson(websiteId: string, peopleId: string) {
      allow(websiteId);
      await removePeopleProfile(crisp, websiteId, peopleId);
      loaders.forgetPerson(websiteId, peopleId);
    },
    async createWebsite(name: string, domain: string): Promise<string> {
      requireWrite(viewer);
      if (viewer.websites !== "*") {
        throw new GatewayError(
          ErrorCode.FORBIDDEN,
          `The credentials "${viewer.name}" are limited to some websites: creating one needs access to all ("*").`,
        );
      }
      const websiteId = await createWebsite(crisp, name, domain);
      loaders.forgetWebsite(websiteId);
      return websiteId;
    },
    /** The plugin's settings of a website: merged (PATCH) or replaced (PUT). */
    async savePluginSettings(
      websiteId: string,
      settings: Record<string, unknown>,
      replace: boolean,
    ): Promise<void> {
      allow(websiteId);
      const pluginId = await loaders.pluginId();
      try {
        await savePluginSettings(crisp, websiteId, pluginId, settings, replace);
      } finally {
        loaders.forgetPluginSettings(websiteId);
      }
    },
    /** A raw write (`Mutation.crispRequest`): sent once, then what it may have changed is dropped. */
    async raw(
      method: RawWriteMethod,
      path: string,
      query: Query,
      body: unknown,
    ): Promise<RawAnswer> {
      requireWrite(viewer);
      const target = loaders.rawTarget(path);
      try {
        return await rawRequest(crisp, method, target.path, query, body);
      } finally {
        // Even a write that timed out may have happened.
        loaders.forgetAfterRawWrite(target.websiteId);
      }
    },
    async deleteWebsite(websiteId: string, verify: Parameters<typeof deleteWebsite>[2]) {
      allow(websiteId);
      await deleteWebsite(crisp, websiteId, verify);
      loaders.forgetWebsite(websiteId);
    },
  };
}

export type Writes = ReturnType<typeof createWrites>;
