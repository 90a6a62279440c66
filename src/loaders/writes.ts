import type { CrispClient } from "../crisp/client.js";
import {
  assignConversation,
  createConversation,
  removeConversation,
  setConversationState,
  updateConversationMeta,
} from "../crisp/conversations.js";
import {
  removeMessage,
  type SendMessageBody,
  sendMessage,
  updateMessage,
} from "../crisp/messages.js";
import {
  createPeopleProfile,
  type PeopleProfileCard,
  removePeopleProfile,
  updatePeopleProfile,
} from "../crisp/people.js";
import type { CrispConversation, CrispMessage } from "../crisp/types.js";
import { createWebsite, deleteWebsite } from "../crisp/website.js";
import type { Loaders } from "./index.js";

/**
 * Crisp writes, each followed by dropping exactly what the request's loaders hold for what it
 * changed, so the mutation's result and every later field read Crisp's new state.
 *
 * Writes are deliberately not bound to the client's abort signal: once a write is sent,
 * abandoning it half-way would leave the client unsure whether it happened. They are never
 * retried either; `sendMessage` takes a client fingerprint so a client can retry safely.
 */
export function createWrites(crisp: CrispClient, loaders: Loaders) {
  return {
    async createConversation(websiteId: string): Promise<string> {
      const sessionId = await createConversation(crisp, websiteId);
      loaders.forgetConversation(websiteId, sessionId);
      return sessionId;
    },
    async removeConversation(websiteId: string, sessionId: string): Promise<void> {
      await removeConversation(crisp, websiteId, sessionId);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async setConversationState(
      websiteId: string,
      sessionId: string,
      state: CrispConversation["state"],
    ) {
      await setConversationState(crisp, websiteId, sessionId, state);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async assignConversation(websiteId: string, sessionId: string, userId: string | null) {
      await assignConversation(crisp, websiteId, sessionId, userId);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async updateConversationMeta(
      websiteId: string,
      sessionId: string,
      meta: Parameters<typeof updateConversationMeta>[3],
    ) {
      await updateConversationMeta(crisp, websiteId, sessionId, meta);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async sendMessage(
      websiteId: string,
      sessionId: string,
      body: SendMessageBody,
    ): Promise<number> {
      const fingerprint = await sendMessage(crisp, websiteId, sessionId, body);
      loaders.forgetConversation(websiteId, sessionId);
      return fingerprint;
    },
    async updateMessage(
      websiteId: string,
      sessionId: string,
      fingerprint: number,
      content: CrispMessage["content"],
    ) {
      await updateMessage(crisp, websiteId, sessionId, fingerprint, content);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async removeMessage(websiteId: string, sessionId: string, fingerprint: number) {
      await removeMessage(crisp, websiteId, sessionId, fingerprint);
      loaders.forgetConversation(websiteId, sessionId);
    },
    async createPerson(websiteId: string, profile: PeopleProfileCard): Promise<string> {
      const peopleId = await createPeopleProfile(crisp, websiteId, profile);
      loaders.forgetPerson(websiteId, peopleId);
      return peopleId;
    },
    async updatePerson(websiteId: string, peopleId: string, profile: PeopleProfileCard) {
      await updatePeopleProfile(crisp, websiteId, peopleId, profile);
      loaders.forgetPerson(websiteId, peopleId);
    },
    async removePerson(websiteId: string, peopleId: string) {
      await removePeopleProfile(crisp, websiteId, peopleId);
      loaders.forgetPerson(websiteId, peopleId);
    },
    async createWebsite(name: string, domain: string): Promise<string> {
      const websiteId = await createWebsite(crisp, name, domain);
      loaders.forgetWebsite(websiteId);
      return websiteId;
    },
    async deleteWebsite(websiteId: string, verify: Parameters<typeof deleteWebsite>[2]) {
      await deleteWebsite(crisp, websiteId, verify);
      loaders.forgetWebsite(websiteId);
    },
  };
}

export type Writes = ReturnType<typeof createWrites>;
