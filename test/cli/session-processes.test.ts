// The whole backbone as separate processes: relay, headless agent and
// engineer console, set up with the real vendor/credential commands and
// driven through stdin/stdout.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderRules } from '../../protocol/ground-rules';
import { BinScope, runBin } from '../support/cli-process';

const bins = new BinScope('assent-cli-');

// Each bin start costs a TypeScript load; on two busy cores the whole walk takes a while.
describe('bins as separate processes', { timeout: 180_000 }, () => {
  it('sets up vendor, engineer and rules, then runs a session: code, SAS, accept, chat, a consented command and listing, end, verified audit', async () => {
    const root = bins.root;
    const vendorHome = join(root, 'vendor');
    const engineerHome = join(root, 'engineer');
    const agentData = join(root, 'agent');
    const relayData = join(root, 'relay');

    expect(
      runBin('assent-engineer', [
        'vendor',
        'init',
        '--vendor',
        'Acme Support',
        '--vendor-home',
        vendorHome,
      ]).code,
    ).toBe(0);
    const issued = runBin('assent-engineer', [
      'vendor',
      'issue',
      '--name',
      'Erin Engineer',
      '--email',
      'erin@acme.example',
      '--days',
      '30',
      '--vendor-home',
      vendorHome,
    ]);
    expect(issued.code).toBe(0);
    const token = issued.stdout.trim();
    expect(token).toMatch(/^assent-credential:/);
    const login = runBin('assent-engineer', ['login', '-', '--home', engineerHome], {
      input: token,
    });
    expect(login.stdout).toContain('Logged in as Erin Engineer');
    expect(runBin('assent-engineer', ['whoami', '--home', engineerHome]).stdout).toContain(
      'Erin Engineer <erin@acme.example>',
    );

    const trust = runBin('assent-agent', [
      'trust-vendor',
      join(vendorHome, 'vendor.pub'),
      '--data',
      agentData,
    ]);
    expect(trust.code).toBe(0);
    expect(trust.stdout).toContain('Pinned vendor "Acme Support"');

    // Ground rules: the vendor signs, the customer admin countersigns on the machine.
    const customer = join(root, 'customer');
    mkdirSync(customer, { recursive: true });
    writeFileSync(join(customer, 'app.log'), 'line 1\nline 2\n');
    writeFileSync(
      join(root, 'rules.json'),
      JSON.stringify(
        folderRules(customer, {
          title: 'Acme support for Example Corp',
          vendor: 'Acme Support',
          customer: 'Example Corp',
          maxReadBytes: 1048576,
          maxWriteBytes: 1048576,
          sessionMaxMinutes: 60,
        }),
      ),
    );
    const signed = runBin('assent-engineer', [
      'rules',
      'sign',
      join(root, 'rules.json'),
      '--out',
      join(root, 'rules.signed.json'),
      '--vendor-home',
      vendorHome,
    ]);
    expect(signed.code).toBe(0);
    const refusedWithoutYes = runBin('assent-agent', [
      'rules',
      'accept',
      join(root, 'rules.signed.json'),
      '--data',
      agentData,
    ]);
    expect(refusedWithoutYes.code).not.toBe(0);
    expect(refusedWithoutYes.stdout + refusedWithoutYes.stderr).toMatch(/fingerprint/i);
    const accepted = runBin('assent-agent', [
      'rules',
      'accept',
      join(root, 'rules.signed.json'),
      '--yes',
      '--admin',
      'Ada Admin',
      '--data',
      agentData,
    ]);
    expect(accepted.code).toBe(0);

    mkdirSync(relayData, { recursive: true });
    copyFileSync(join(vendorHome, 'vendor.pub'), join(relayData, 'vendor.pub'));
    const { relay, url } = await bins.relay(relayData);

    const agent = bins.start('assent-agent', [
      '--data',
      agentData,
      '--relay',
      url,
      '--ticket',
      'T-4711',
    ]);
    const code = (await agent.expect(/Session code: (\d{3} \d{3} \d{4})/))[1]!;

    // Typed as read aloud: three words.
    const engineer = bins.start('assent-engineer', [
      'connect',
      ...code.split(' '),
      '--relay',
      url,
      '--home',
      engineerHome,
      '--reason',
      'Printer queue',
    ]);
    const engineerSas = (
      await engineer.expect(/Compare this code with the customer by phone: (\d{3} \d{3})/)
    )[1];
    await agent.expect(/Engineer:\s+Erin Engineer <erin@acme\.example>/);
    const agentSas = (
      await agent.expect(/Compare this code with the engineer by phone: (\d{3} \d{3})/)
    )[1];
    expect(agentSas).toBe(engineerSas);
    await agent.expect(/Engineer's reason: Printer queue/);
    await engineer.expect(/Waiting for the customer to accept/);

    await agent.expect(/Ground rules in force \(fingerprint [0-9a-f ]+\)/);
    agent.send('accept');
    await engineer.expect(/Session accepted/);

    // One action, end to end: the approver sees the exact command line and allows it once.
    engineer.send('run echo assent-was-here');
    const number = (await agent.expect(/CONSENT REQUEST #(\d+)/))[1];
    await agent.expect(/echo assent-was-here/);
    agent.send(`allow ${number}`);
    await engineer.expect(/assent-was-here/);

    // A file action: the approver allows listing that folder for the session; the second listing is not asked.
    engineer.send(`ls ${customer}`);
    const listing = (await agent.expect(/CONSENT REQUEST #(\d+)/))[1];
    agent.send(`allow-session ${listing}`);
    await engineer.expect(/app\.log/);
    await agent.expect(/\[action r\d+\] done/);
    engineer.send(`ls ${customer}`);
    await engineer.expect(/app\.log/);
    expect(agent.text.match(/CONSENT REQUEST #/g)).toHaveLength(2);
    engineer.send('chat hello from the vendor');
    await agent.expect(/\[engineer\] hello from the vendor/);
    agent.send('chat hi, go ahead');
    await engineer.expect(/\[customer\] hi, go ahead/);

    engineer.send('end');
    await agent.expect(/Session ended \(SESSION_ENDED\)/);
    expect(await engineer.exited).toBe(0);
    expect(await agent.exited).toBe(0);

    const verify = runBin('assent-agent', ['audit', 'verify', '--data', agentData]);
    expect(verify.stdout).toMatch(/OK/);
    expect(verify.code).toBe(0);
    relay.child.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
  });

  it('tells the engineer clearly when the code is wrong', async () => {
    const root = bins.root;
    const vendorHome = join(root, 'vendor');
    const engineerHome = join(root, 'engineer');
    const relayData = join(root, 'relay');
    runBin('assent-engineer', ['vendor', 'init', '--vendor', 'Acme', '--vendor-home', vendorHome]);
    const token = runBin('assent-engineer', [
      'vendor',
      'issue',
      '--name',
      'E',
      '--email',
      'e@x.example',
      '--vendor-home',
      vendorHome,
    ]).stdout.trim();
    runBin('assent-engineer', ['login', token, '--home', engineerHome]);
    const { url } = await bins.relay(relayData, ['--vendor-key', join(vendorHome, 'vendor.pub')]);
    const result = runBin('assent-engineer', [
      'connect',
      '123 456 7890',
      '--relay',
      url,
      '--home',
      engineerHome,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('the code is unknown, expired or already used');
  });
});
