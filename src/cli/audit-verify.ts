import fs from "node:fs";
import readline from "node:readline";
import { ChainVerifier } from "../audit/verify-chain.js";
import { fail } from "./fail.js";

/**
 * Exit codes: 0 the chain verifies; 1 it does not (the first bad seq is named); 2 the file
 * cannot be read.
 */
export async function auditVerify(file: string, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (!fs.existsSync(file)) fail(`cannot read ${file}: no such file`, 2);
  const verifier = new ChainVerifier();
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    const fault = verifier.pushLine(line);
    if (fault) {
      lines.close();
      fail(`chain broken at seq ${fault.seq} (line ${fault.line}): ${fault.reason}`, 1);
    }
  }
  const head = verifier.head;
  if (verifier.count === 0) fail(`${file} holds no audit events`, 1);
  out.write(`ok: ${verifier.count} events of chain ${head.chain} verify; head seq ${head.seq} hash ${head.hash}\n`);
}
