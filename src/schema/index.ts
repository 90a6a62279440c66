import { builder } from "./builder.js";
import "./root.js";
import "./scalars.js";
import "./common.js";
import "./website.js";
import "./conversation.js";
import "./message.js";
import "./person.js";
import "./operator.js";
import "./visitor.js";
import "./gateway.js";
import "./subscription.js";

export const schema = builder.toSchema({ sortSchema: true });
