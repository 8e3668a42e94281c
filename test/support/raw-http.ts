import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * An HTTP request whose body the test writes piece by piece (node:http, so Content-Length can be
 * declared larger than what is sent, or left out for chunked encoding). `response` settles as soon
 * as the server answers, even while the body is still being written.
 */
export function openUpload(
  url: string,
  key: string,
  headers: Record<string, string> = {},
): { req: ClientRequest; response: Promise<RawResponse> } {
  const req = httpRequest(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv', ...headers },
  });
  const response = new Promise<RawResponse>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { req, response };
}

/** CSV rows of about `bytes` bytes, starting with a header (distinct per `seed`). */
export function csvOfSize(bytes: number, seed = 0): Buffer {
  const header = 'id,name,amount,seed\n';
  const lines: string[] = [header];
  let size = header.length;
  for (let i = 0; size < bytes; i++) {
    const line = `${i},name-${i % 977},${(i * 31) % 100000}.${i % 100},${seed}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''));
}
