/**
 * Runs what helpers made outside a test asked to be cleaned up after the file
 * (test/helpers/cleanup.ts): registered first, so it runs after the file's own after-hooks.
 */
import { afterAll } from "vitest";
import { runFileCleanups } from "../helpers/cleanup.js";

afterAll(runFileCleanups);
