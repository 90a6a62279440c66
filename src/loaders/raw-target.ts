import { requireRaw, type Viewer } from "../auth.js";
import { parseRawPath, type RawTarget } from "../crisp/raw.js";
import { ErrorCode, GatewayError } from "../errors.js";

/**
 * A raw path, checked, for a viewer allowed raw calls and within its websites: a website it
 * may not see behaves like a missing one; a path that names no website (plugin, user or
 * account routes) needs access to every website.
 */
export function checkRawTarget(
  viewer: Viewer,
  visible: (websiteId: string) => boolean,
  path: string,
): RawTarget {
  requireRaw(viewer);
  const target = parseRawPath(path);
  if (target.websiteId === null) {
    if (viewer.websites !== "*") {
      throw new GatewayError(
        ErrorCode.FORBIDDEN,
        `The credentials "${viewer.name}" are limited to some websites: a raw call outside /website/{website_id} needs access to all ("*").`,
      );
    }
  } else if (!visible(target.websiteId)) {
    throw new GatewayError(ErrorCode.NOT_FOUND, "Crisp has no such website for this token.");
  }
  return target;
}
