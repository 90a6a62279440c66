import { isNotFound } from "./errors.js";

/**
 * Single-object reads resolve to null when Crisp says the object (or its website) is not
 * there, as the contract asks; every other failure propagates.
 */
export async function nullIfNotFound<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error)) {
      return null;
    }
    throw error;
  }
}
