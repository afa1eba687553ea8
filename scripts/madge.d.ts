// The part of madge's API scripts/check-folder-cycles.ts uses (madge ships no types).
declare module 'madge' {
  interface MadgeResult {
    /** Each file, relative to the scanned folder, with the files it imports. */
    obj(): Record<string, string[]>
  }
  export default function madge(path: string, config?: { fileExtensions?: string[] }): Promise<MadgeResult>
}
