// The worker programs are imported as text (`with { type: "text" }`): Bun embeds them in the
// compiled binary; this tells tsc what such an import gives.
declare module "*.sh" {
  const text: string;
  export default text;
}
